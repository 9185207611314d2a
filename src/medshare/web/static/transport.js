// The dispatch board's scatter: vehicles, live requests and hospitals on latitude and longitude axes,
// drawn with ECharts from the JSON the page carries (no map tiles, no inline script).

(function () {
  "use strict";

  const levelColours = { 1: "#b91c1c", 2: "#ea580c", 3: "#ca8a04", 4: "#2563eb", 5: "#64748b" };

  function draw() {
    const blob = document.getElementById("dispatch-data");
    const element = document.getElementById("dispatch-map");
    if (!blob || !element || !window.echarts) {
      return;
    }
    const data = JSON.parse(blob.textContent);
    const chart = window.echarts.init(element, null, { locale: document.documentElement.lang === "zh-Hans" ? "ZH" : "EN" });
    const idle = data.vehicles.filter((v) => v[3] === "idle");
    const busy = data.vehicles.filter((v) => v[3] !== "idle" && v[3] !== "out_of_service");
    chart.setOption({
      tooltip: { formatter: (p) => (p.data[2] !== undefined ? String(p.data[2]) : "") + (p.data[3] !== undefined ? " · " + p.data[3] : "") },
      legend: { bottom: 0 },
      grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
      xAxis: { type: "value", scale: true, name: "lon" },
      yAxis: { type: "value", scale: true, name: "lat" },
      series: [
        { name: data.text.hospitals, type: "scatter", symbol: "rect", symbolSize: 10, data: data.hospitals, itemStyle: { color: "#0f6b63" } },
        { name: data.text.idle, type: "scatter", symbolSize: 6, data: idle, itemStyle: { color: "#16a34a" } },
        { name: data.text.busy, type: "scatter", symbolSize: 6, data: busy, itemStyle: { color: "#7c3aed" } },
        { name: data.text.requests, type: "scatter", symbol: "diamond", symbolSize: 13, data: data.requests,
          itemStyle: { color: (p) => levelColours[p.data[3]] || "#334155" } },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
