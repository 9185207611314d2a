// Scheduling run charts: the optimum against both baselines, drawn with ECharts from the JSON the page carries
// (no inline script runs).

(function () {
  "use strict";

  // Baselines in muted tones, the optimum in the brand colour: before, then after.
  const colours = { home_only: "#9aa8b2", greedy: "#d97706", optimal: "#0f6b63" };

  function barChart(element, title, categories, series, field, unit, maxValue) {
    const chart = window.echarts.init(element, null, { locale: document.documentElement.lang === "zh-Hans" ? "ZH" : "EN" });
    chart.setOption({
      title: { text: title, left: 0, textStyle: { fontSize: 14, fontWeight: 600 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        valueFormatter: (value) => (value === null || value === undefined ? "—" : value + unit) },
      legend: { bottom: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: categories },
      // Percentages carry their sign on the axis; days are named in the title.
      yAxis: { type: "value", min: 0, max: maxValue, axisLabel: { formatter: unit === "%" ? "{value}%" : "{value}" } },
      series: series.map((policy) => ({ name: policy.name, type: "bar", data: policy[field], barMaxWidth: 36,
        itemStyle: { color: colours[policy.key] } })),
    });
    return chart;
  }

  function draw() {
    const blob = document.getElementById("scheduling-data");
    if (!blob || !window.echarts) {
      return;
    }
    const data = JSON.parse(blob.textContent);
    const days = " " + data.text.days;
    const charts = [
      barChart(document.getElementById("chart-mean"), data.text.mean, data.classes, data.series, "mean", days),
      barChart(document.getElementById("chart-p90"), data.text.p90, data.classes, data.series, "p90", days),
      barChart(document.getElementById("chart-within-due"), data.text.within_due, data.classes, data.series,
        "within_due", "%", 100),
      barChart(document.getElementById("chart-utilisation"), data.text.utilisation, data.grades, data.series,
        "utilisation", "%", 100),
    ];
    window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
