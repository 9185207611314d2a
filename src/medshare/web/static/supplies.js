// Supplies charts, drawn with ECharts from the JSON the page carries (no inline script runs): shortages by
// item and district, fill rates by priority, institutions on a lat/lon scatter sized by shortage (no map
// tiles), and a run's fill rates against both baselines.

(function () {
  "use strict";

  const colours = { fcfs: "#d97706", proportional: "#9aa8b2", optimal: "#0f6b63" };
  const locale = () => (document.documentElement.lang === "zh-Hans" ? "ZH" : "EN");

  function init(id) {
    const element = document.getElementById(id);
    return element ? window.echarts.init(element, null, { locale: locale() }) : null;
  }

  function bars(id, title, categories, series, unit, max) {
    const chart = init(id);
    if (!chart) return null;
    chart.setOption({
      title: { text: title, left: 0, textStyle: { fontSize: 14, fontWeight: 600 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: series.length > 1 ? { bottom: 0 } : undefined,
      grid: { left: 8, right: 16, top: 40, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: categories, axisLabel: { interval: 0, rotate: categories.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", min: 0, max: max, axisLabel: { formatter: unit === "%" ? "{value}%" : "{value}" } },
      series: series.map((s) => ({ name: s.name, type: "bar", data: s.data, barMaxWidth: 36,
        itemStyle: { color: s.colour || colours[s.key] || "#0f6b63" } })),
    });
    return chart;
  }

  function scatter(id, title, points, unit) {
    const chart = init(id);
    if (!chart) return null;
    const top = Math.max(1, ...points.map((p) => p[2]));
    chart.setOption({
      title: { text: title, left: 0, textStyle: { fontSize: 14, fontWeight: 600 } },
      tooltip: { formatter: (p) => p.data[3] + ": " + p.data[2] + " " + unit },
      grid: { left: 8, right: 16, top: 40, bottom: 24, containLabel: true },
      xAxis: { type: "value", scale: true },  // longitude
      yAxis: { type: "value", scale: true },  // latitude
      visualMap: { show: false, min: 0, max: top, dimension: 2, inRange: { color: ["#f6c36b", "#b91c1c"] } },
      series: [{ type: "scatter", data: points, symbolSize: (p) => 6 + 24 * Math.sqrt(p[2] / top) }],
    });
    return chart;
  }

  function draw() {
    if (!window.echarts) return;
    const charts = [];
    const board = document.getElementById("supplies-data");
    if (board) {
      const d = JSON.parse(board.textContent);
      charts.push(bars("chart-items", d.text.items, d.items, [{ name: d.text.items, data: d.item_short, colour: "#b91c1c" }], ""));
      charts.push(bars("chart-districts", d.text.districts, d.districts, [{ name: d.text.districts, data: d.district_short, colour: "#d97706" }], ""));
      charts.push(bars("chart-fill", d.text.fill, d.classes, [{ name: d.text.min, data: d.fill_min, colour: "#9aa8b2" },
        { name: d.text.mean, data: d.fill_mean, colour: "#0f6b63" }], "%", 100));
      charts.push(scatter("chart-map", d.text.map, d.points, d.text.units));
    }
    const run = document.getElementById("supplies-run-data");
    if (run) {
      const d = JSON.parse(run.textContent);
      charts.push(bars("chart-run-min", d.text.min, d.classes, d.min, "%", 100));
      charts.push(bars("chart-run-mean", d.text.mean, d.classes, d.mean, "%", 100));
    }
    window.addEventListener("resize", () => charts.forEach((chart) => chart && chart.resize()));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
