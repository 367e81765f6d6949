// Help centre: after an HTMX search swap, announce the count and keep focus in the search box.
document.addEventListener("DOMContentLoaded", () => {
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id === "faq-answers") {
      const first = event.detail.target.querySelector("a, p");
      if (first) first.setAttribute("tabindex", "-1");
    }
  });
});
