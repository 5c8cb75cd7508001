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

// Live progress of background jobs: items carry data-job-url while queued or running.
(function () {
  "use strict";
  var items = document.querySelectorAll("[data-job-url]:not([data-job-url=''])");
  items.forEach(function (item) {
    var url = item.getAttribute("data-job-url");
    var bar = item.querySelector("progress");
    var message = item.querySelector(".job-message");
    var timer = setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (job) {
          if (bar) { bar.value = job.progress; }
          if (message) { message.textContent = job.message || ""; }
          if (job.status === "done" || job.status === "failed") {
            clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () { clearInterval(timer); });
    }, 1500);
  });
})();

// A table wider than the screen scrolls inside .table-responsive: make that region reachable
// and scrollable with the keyboard (WCAG 2.1.1), named after the table's caption or heading.
(function () {
  "use strict";
  function label(region) {
    var caption = region.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    var section = region.closest("section, .card, main");
    var heading = section && section.querySelector("h1, h2, h3, h4");
    return heading ? heading.textContent.trim() : document.title;
  }
  function update() {
    document.querySelectorAll(".table-responsive").forEach(function (region) {
      if (region.scrollWidth > region.clientWidth + 1) {
        region.setAttribute("tabindex", "0");
        region.setAttribute("role", "region");
        region.setAttribute("aria-label", label(region));
      } else if (region.getAttribute("tabindex") === "0") {
        region.removeAttribute("tabindex");
        region.removeAttribute("role");
        region.removeAttribute("aria-label");
      }
    });
  }
  update();
  window.addEventListener("resize", update);
})();
