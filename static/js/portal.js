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

// What a swap marks data-announce (a row's "saved", a list's count) is said once through the
// page's one persistent live region; elements already in the page when it loads are not said.
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("live-status");
  const lastSaid = new Map();
  document.querySelectorAll("[data-announce]").forEach((el) => {
    el.dataset.announced = "1";
    if (el.dataset.announce === "change") lastSaid.set(el.id, el.textContent.trim());
  });
  document.body.addEventListener("htmx:afterSettle", () => {
    const fresh = Array.from(document.querySelectorAll("[data-announce]:not([data-announced])"));
    fresh.forEach((el) => { el.dataset.announced = "1"; });
    // data-announce="change": a polled status is said when it changes, not at every poll.
    const said = fresh.filter((el) => {
      if (el.dataset.announce !== "change") return true;
      const text = el.textContent.trim();
      if (lastSaid.get(el.id) === text) return false;
      lastSaid.set(el.id, text);
      return true;
    });
    const text = said.map((el) => el.textContent.trim()).filter(Boolean).join(" ");
    if (!status || !text) return;
    status.textContent = "";
    window.setTimeout(() => { status.textContent = text; }, 50);
  });
});

// Tables that become labelled rows on a phone: each cell is labelled by its column's header.
function stackLabels(root) {
  root.querySelectorAll("table.table--stack").forEach((table) => {
    const heads = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
    table.querySelectorAll("tbody tr").forEach((row) => {
      Array.from(row.children).forEach((cell, index) => {
        if (cell.tagName === "TD" && !cell.hasAttribute("data-label") && heads[index]) {
          cell.setAttribute("data-label", heads[index]);
        }
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", () => {
  stackLabels(document);
  document.body.addEventListener("htmx:afterSettle", () => stackLabels(document));

  // A phone's first screen is for the page, not the header: the menu folds behind a button.
  const toggle = document.querySelector(".nav-toggle");
  const menu = document.getElementById("site-menu");
  if (!toggle || !menu) return;
  const narrow = window.matchMedia("(max-width: 40rem)");
  function fold(collapsed) {
    menu.classList.toggle("is-collapsed", collapsed);
    toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
  }
  function apply() {
    toggle.hidden = !narrow.matches;
    fold(narrow.matches);
  }
  toggle.addEventListener("click", () => fold(!menu.classList.contains("is-collapsed")));
  narrow.addEventListener("change", apply);
  apply();
});
