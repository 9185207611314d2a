// Credit levels of the region's institutions: a bar chart drawn with ECharts from the JSON the page carries.

(function () {
  "use strict";

  const colours = { A: "#0f6b63", B: "#2563eb", C: "#d97706", D: "#be123c" };

  function draw() {
    const blob = document.getElementById("credit-data");
    const element = document.getElementById("chart-levels");
    if (!blob || !element || !window.echarts) return;
    const data = JSON.parse(blob.textContent);
    const chart = window.echarts.init(element, null, { locale: document.documentElement.lang === "zh-Hans" ? "ZH" : "EN" });
    chart.setOption({
      title: { text: data.title, left: 0, textStyle: { fontSize: 14, fontWeight: 600 } },
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.levels },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: data.levels.map((level, i) => ({ value: data.counts[i],
        itemStyle: { color: colours[level] || "#475569" } })) }],
    });
    window.addEventListener("resize", () => chart.resize());
    element.dataset.drawn = "1";
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
