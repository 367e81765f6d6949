// partners: hide the ward checklist while "all wards" is ticked (the form works without JS).
(function () {
  "use strict";
  function bind(form) {
    var pairs = [["id_serves_all_wards", "id_wards_served"], ["id_serves_all_wards", "id_wards"]];
    pairs.forEach(function (pair) {
      var toggle = form.querySelector("#" + pair[0]);
      var list = form.querySelector("#" + pair[1]);
      if (!toggle || !list) { return; }
      var wrapper = list.closest(".field") || list;
      var sync = function () { wrapper.classList.toggle("is-hidden", toggle.checked); };
      toggle.addEventListener("change", sync);
      sync();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-wards-toggle]").forEach(bind);
  });
})();
