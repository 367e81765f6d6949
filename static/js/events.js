// Matching events: print button on the check-in list, and venue/URL fields that follow the format.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  const form = document.querySelector("[data-event-form]");
  if (form) {
    const format = form.querySelector("#id_format");
    const venue = form.querySelector("#id_venue");
    const url = form.querySelector("#id_meeting_url");
    const sync = () => {
      if (!format || !venue || !url) return;
      venue.required = format.value !== "online";
      url.required = format.value !== "venue";
    };
    if (format) format.addEventListener("change", sync);
    sync();
  }
  // Keep focus in the check-in box after each HTMX answer so codes can be typed one after another.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id === "checkin-desk") {
      const input = event.detail.target.querySelector("input[name=code]");
      if (input) input.focus();
    }
  });
});
