/* Charts of the screening pages, drawn with the vendored ECharts.
 * No inline script (the site's Content-Security-Policy forbids it): each chart is a
 * <div data-chart="ID"> next to a <script type="application/json" id="ID"> data block
 * written by Django's json_script, read here. */
(function () {
  "use strict";
  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || typeof echarts === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    if (!spec.labels || !spec.labels.length) { element.hidden = true; return; }
    element.style.height = "260px";
    var series;
    if (spec.kind === "bar-rate") {
      series = [{ type: "bar", data: spec.values, label: { show: true, formatter: "{c}%" } }];
    } else {
      series = spec.series.map(function (s) {
        return { type: "bar", stack: "value", name: s.name, data: s.values };
      });
    }
    var chart = echarts.init(element);
    chart.setOption({
      title: { text: spec.title, textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis" },
      legend: spec.kind === "bar-rate" ? undefined : { top: 20 },
      grid: { left: 48, right: 16, top: 52, bottom: 60 },
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: spec.kind === "bar-rate" ? { type: "value", max: 100 } : { type: "value" },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.querySelectorAll("[data-chart]").forEach(draw);
})();
