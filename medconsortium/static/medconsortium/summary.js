// The county summary's chart: expert-session figures by host institution, drawn with the
// vendored ECharts from the JSON the page puts in data-chart (no inline script: the site's
// Content-Security-Policy allows scripts from our own origin only).
(function () {
  "use strict";
  var element = document.getElementById("summary-chart");
  if (!element || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(element.getAttribute("data-chart"));
  element.style.height = Math.max(260, 60 + data.institutions.length * 48) + "px";
  var chart = echarts.init(element);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.institutions },
    series: data.series.map(function (series) {
      return { name: series.name, type: "bar", data: series.values };
    }),
  });
  window.addEventListener("resize", function () {
    chart.resize();
  });
})();
