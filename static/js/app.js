// matchmaker: small progressive enhancements (no inline scripts: CSP script-src 'self').
(function () {
  "use strict";
  // On phones the facet panel starts folded so the results are visible without scrolling.
  if (window.matchMedia && window.matchMedia("(max-width: 991.98px)").matches) {
    document.querySelectorAll("details.facets[open]").forEach(function (el) {
      el.removeAttribute("open");
    });
  }
})();
