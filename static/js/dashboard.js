/* The dashboard's charts, drawn with the vendored ECharts.
 * No inline script (the Content-Security-Policy forbids it): each chart is a
 * <div data-dashboard-chart="ID"> next to a <script type="application/json" id="ID"> block
 * written by Django's json_script: {kind: "bar" | "line", title, percent, categories,
 * series: [{name, values}]}. The table beside every chart carries the same figures. */
(function () {
  "use strict";
  var charts = [];

  function percentLabel(value) {
    return value === null || value === undefined ? "–" : Number(value).toFixed(2) + "%";
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-dashboard-chart"));
    if (!source || typeof echarts === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    if (!spec.categories || !spec.categories.length) {
      element.classList.add("dashboard-chart-empty");
      return;
    }
    var narrow = element.clientWidth < 480;
    var series = spec.series.map(function (s) {
      return {
        type: spec.kind === "line" ? "line" : "bar",
        name: s.name,
        data: s.values,
        connectNulls: true,
        label: spec.percent && spec.series.length === 1 && !narrow ? {
          show: true, position: "top", fontSize: 10,
          formatter: function (p) { return percentLabel(p.value); }
        } : { show: false }
      };
    });
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      title: { text: spec.title, textStyle: { fontSize: 13 } },
      tooltip: {
        trigger: "axis",
        valueFormatter: spec.percent ? percentLabel : undefined
      },
      legend: spec.series.length > 1 ? { top: 22, textStyle: { fontSize: 11 } } : undefined,
      grid: { left: 8, right: 12, top: spec.series.length > 1 ? 52 : 36, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: spec.categories,
        axisLabel: { interval: 0, rotate: narrow || spec.categories.length > 6 ? 40 : 0, fontSize: 10 }
      },
      yAxis: spec.percent
        ? { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }
        : { type: "value", minInterval: 1 },
      series: series
    });
    charts.push(chart);
  }

  document.querySelectorAll("[data-dashboard-chart]").forEach(draw);
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () {
      charts.forEach(function (chart) { chart.resize(); });
    }, 100);
  });
})();
