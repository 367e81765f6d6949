// Triage screen: with JavaScript the inline changes are sent on change (HTMX), so the
// fallback "変更" buttons are hidden; without it they stay and post the form normally.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // An inline change swaps the whole row: give keyboard focus back to the same control.
  var focusedId = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    focusedId = active && active.id ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (focusedId) {
      var again = document.getElementById(focusedId);
      if (again && document.activeElement !== again) {
        again.focus();
      }
      focusedId = null;
    }
  });
})();
