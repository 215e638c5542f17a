/* Settlement figures' charts: total cost by institution and by month (ECharts, vendored).
 * The data comes from the page's <script type="application/json" id="settlement-chart-data">
 * (Django's json_script), so the page needs no inline script under a strict CSP. */
(function () {
  "use strict";
  var source = document.getElementById("settlement-chart-data");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var names = data.names;

  function numbers(list) {
    return list.map(function (value) { return Number(value); });
  }

  function draw(element, spec, horizontal) {
    if (!spec.labels.length) {
      element.classList.add("d-none");
      return;
    }
    element.style.height = horizontal ? Math.max(220, 28 * spec.labels.length + 60) + "px" : "300px";
    var chart = echarts.init(element);
    var category = { type: "category", data: spec.labels, axisLabel: { interval: 0 } };
    var value = { type: "value", name: names.yuan };
    var series = [
      { name: names.inpatient, type: "bar", stack: "cost", data: numbers(spec.inpatient) },
      { name: names.outpatient, type: "bar", stack: "cost", data: numbers(spec.outpatient) }
    ];
    if (spec.out_of_pocket) {
      series.push({ name: names.out_of_pocket, type: "line", data: numbers(spec.out_of_pocket) });
    }
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign({ inverse: true }, category) : value,
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var key = element.getAttribute("data-chart");
    if (data[key]) {
      draw(element, data[key], key === "institutions");
    }
  });
})();
