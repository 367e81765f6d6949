// Small behaviours shared by every page. No inline scripts: CSP forbids them.
document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("htmx-live");
  function announce(text) {
    if (!live || !text) return;
    // The region stays in the page and starts empty; changing its text is what screen
    // readers announce. It is also shown, so sighted people see why nothing changed.
    live.textContent = "";
    window.setTimeout(() => { live.textContent = text; }, 50);
  }

  // Elements with data-confirm ask before submitting (works with and without htmx).
  document.body.addEventListener("submit", (event) => {
    const message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      return;
    }
    // One click, one record: a plain form's buttons are disabled once it is on its way (after
    // the browser has taken the clicked button's value), and enabled again if the page stays.
    const form = event.target;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
    window.setTimeout(() => {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach((b) => { b.disabled = true; });
      window.setTimeout(() => {
        form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      }, 8000);
    }, 0);
  });
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form button[disabled]").forEach((b) => { b.disabled = false; });
  });

  // htmx requests: buttons of the sending form are disabled while it is on its way.
  function formButtons(event) {
    const elt = event.detail.elt;
    const form = elt && (elt.tagName === "FORM" ? elt : elt.closest("form"));
    return form ? form.querySelectorAll("button") : [];
  }
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    formButtons(event).forEach((b) => { b.disabled = true; });
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    formButtons(event).forEach((b) => { b.disabled = false; });
  });
  // htmx does not swap an error answer: say that nothing was saved, and why.
  document.body.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    announce(status === 403 || status === 404 ? live.dataset.refused : live.dataset.failed);
  });
  document.body.addEventListener("htmx:sendError", () => announce(live && live.dataset.offline));

  // Move focus to newly swapped-in content that asks for it, for screen-reader users.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target.querySelector("[data-autofocus]");
    if (target) target.focus();
  });
});
