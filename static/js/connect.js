// 对接: live character counters under the message fields (textareas with data-counter).
// Loaded from templates/connect/*.html (no inline scripts: CSP script-src 'self').
(function () {
  "use strict";
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    var counter = document.getElementById(area.getAttribute("data-counter"));
    var max = parseInt(area.getAttribute("maxlength"), 10) || 0;
    if (!counter || !max) { return; }
    var template = counter.textContent.replace(/^\s*\d+/, "");
    function update() {
      counter.textContent = area.value.length + template;
      counter.classList.toggle("text-danger", area.value.length >= max);
    }
    area.addEventListener("input", update);
    update();
  });
})();
