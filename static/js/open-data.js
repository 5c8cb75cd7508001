// 开放数据: draws each dataset's bar chart with the vendored ECharts from its data-chart
// attribute ({x: [...], series: [{name, data}]}); the table under each chart holds the same
// figures. Loaded only from templates/open_data/index.html (CSP: no inline scripts).
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") { return; }
  var charts = [];
  document.querySelectorAll(".open-data-chart[data-chart]").forEach(function (el) {
    var spec;
    try { spec = JSON.parse(el.getAttribute("data-chart")); } catch (e) { return; }
    if (!spec || !spec.x || !spec.x.length) { return; }
    el.style.height = "300px"; // CSSOM, allowed by the CSP (no style attribute in the markup)
    el.style.width = "100%";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      aria: { enabled: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 40, right: 16, top: 40, bottom: 60, containLabel: true },
      xAxis: { type: "category", data: spec.x, axisLabel: { rotate: spec.x.length > 8 ? 45 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: spec.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data };
      })
    });
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
