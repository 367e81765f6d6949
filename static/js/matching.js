// Keyboard shortcuts of the candidate review screen (no inline handlers: CSP).
// j / k move between candidates; a, q, h, s press the matching button of the focused candidate.
(function () {
  "use strict";
  function candidates() {
    return Array.prototype.slice.call(document.querySelectorAll("article.candidate"));
  }
  function current() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("article.candidate") : null;
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    var list = candidates();
    if (!list.length) return;
    var here = current();
    var index = here ? list.indexOf(here) : -1;
    if (event.key === "j" || event.key === "k") {
      var next = event.key === "j" ? Math.min(index + 1, list.length - 1) : Math.max(index - 1, 0);
      list[next].focus();
      list[next].scrollIntoView({ block: "nearest" });
      event.preventDefault();
      return;
    }
    if (!here) return;
    var button = here.querySelector('button[data-key="' + event.key + '"]');
    if (button) {
      button.click();
      event.preventDefault();
    }
  });
  // After HTMX swaps a candidate, keep the focus on it so the keyboard flow continues.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.id || target.id.indexOf("candidate-") !== 0) return;
    var fresh = document.getElementById(target.id);
    if (fresh) fresh.focus();
  });
})();
