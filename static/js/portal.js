// Small behaviours shared by every page. No inline scripts: CSP forbids them.
document.addEventListener("DOMContentLoaded", () => {
  // Elements with data-confirm ask before submitting (works with and without htmx).
  document.body.addEventListener("submit", (event) => {
    const message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // Move focus to newly swapped-in content that asks for it, for screen-reader users.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target.querySelector("[data-autofocus]");
    if (target) target.focus();
  });
});
