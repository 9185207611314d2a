// Utilisation charts: drawn with ECharts from the JSON the page carries (no inline script runs).

(function () {
  "use strict";

  // Distinct hues, so a dozen groups stay apart on one chart.
  const palette = ["#0f6b63", "#d97706", "#2563eb", "#be123c", "#7c3aed", "#65a30d", "#0891b2", "#a16207",
    "#db2777", "#475569", "#059669", "#9333ea"];
  const weekLabel = { formatter: (value) => value.slice(5) };  // 2026-11-23 -> 11-23: the year is in the form

  function lineChart(element, title, data, field) {
    const chart = window.echarts.init(element, null, { locale: document.documentElement.lang === "zh-Hans" ? "ZH" : "EN" });
    chart.setOption({
      color: palette,
      title: { text: title, left: 0, textStyle: { fontSize: 14, fontWeight: 600 } },
      tooltip: { trigger: "axis", valueFormatter: (value) => value + "%" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: data.weeks, boundaryGap: false, axisLabel: weekLabel },
      // Scaled to the data (a quiet week still shows its shape), never past 100%.
      yAxis: { type: "value", min: 0, max: (extent) => Math.min(100, Math.max(10, Math.ceil(extent.max / 10) * 10)),
        axisLabel: { formatter: "{value}%" } },
      series: data.series.map((group) => ({ name: group.name, type: "line", smooth: true, symbolSize: 6,
        data: group[field] })),
    });
    return chart;
  }

  function hoursChart(element, data) {
    const chart = window.echarts.init(element, null, { locale: document.documentElement.lang === "zh-Hans" ? "ZH" : "EN" });
    const text = data.text;
    chart.setOption({
      color: ["#c5ced4", "#0b5f8a", "#0f6b63"],
      title: { text: text.totals, left: 0, textStyle: { fontSize: 14, fontWeight: 600 } },
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 36, containLabel: true },
      xAxis: { type: "category", data: data.weeks, axisLabel: weekLabel },
      yAxis: { type: "value" },
      series: [
        { name: text.open_hours, type: "bar", data: data.totals.open, barGap: "-100%", z: 1 },
        { name: text.booked_hours, type: "bar", data: data.totals.booked, barWidth: "40%", z: 2 },
        { name: text.used_hours, type: "line", data: data.totals.used, symbolSize: 7, z: 3 },
      ],
    });
    return chart;
  }

  function draw() {
    const blob = document.getElementById("utilisation-data");
    if (!blob || !window.echarts) {
      return;
    }
    const data = JSON.parse(blob.textContent);
    const charts = [
      lineChart(document.getElementById("chart-booked"), data.text.booked, data, "booked"),
      lineChart(document.getElementById("chart-used"), data.text.used, data, "used"),
      hoursChart(document.getElementById("chart-hours"), data),
    ];
    window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
