// Mutual recognition figures, drawn with ECharts from the JSON the page carries (no inline script runs).

(function () {
  "use strict";

  const colours = { recognitions: "#0f6b63", repeats: "#d97706", overlooked: "#9aa8b2", lookups: "#3b82f6" };

  function init(id) {
    const element = document.getElementById(id);
    return element ? window.echarts.init(element, null, {
      locale: document.documentElement.lang === "zh-Hans" ? "ZH" : "EN" }) : null;
  }

  function draw() {
    const blob = document.getElementById("recognition-data");
    if (!blob || !window.echarts) {
      return;
    }
    const data = JSON.parse(blob.textContent);
    const title = (text) => ({ text: text, left: 0, textStyle: { fontSize: 14, fontWeight: 600 } });
    const charts = [];
    const items = init("chart-items");
    if (items) {
      items.setOption({
        title: title(data.text.items), tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { bottom: 0 }, grid: { left: 8, right: 16, top: 40, bottom: 40, containLabel: true },
        xAxis: { type: "category", data: data.items }, yAxis: { type: "value", minInterval: 1 },
        series: ["recognitions", "repeats", "overlooked"].map((key) => ({
          name: data.text[key], type: "bar", data: data.series[key], barMaxWidth: 28,
          itemStyle: { color: colours[key] } })),
      });
      charts.push(items);
    }
    const reasons = init("chart-reasons");
    if (reasons) {
      reasons.setOption({
        title: title(data.text.reasons), tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["35%", "65%"], top: 30, data: data.reasons.filter((r) => r.value > 0) }],
      });
      charts.push(reasons);
    }
    const trend = init("chart-trend");
    if (trend) {
      trend.setOption({
        title: title(data.text.trend), tooltip: { trigger: "axis" }, legend: { bottom: 0 },
        grid: { left: 8, right: 16, top: 40, bottom: 40, containLabel: true },
        xAxis: { type: "category", data: data.months },
        yAxis: [{ type: "value", minInterval: 1 }, { type: "value", name: "¥" }],
        series: ["lookups", "recognitions", "repeats"].map((key) => ({
          name: data.text[key], type: "line", data: data.trend[key], itemStyle: { color: colours[key] } }))
          .concat([{ name: data.text.saved, type: "bar", yAxisIndex: 1, data: data.saved, barMaxWidth: 20,
            itemStyle: { color: "#c7e3df" } }]),
      });
      charts.push(trend);
    }
    window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
