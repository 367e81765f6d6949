// Charts of the evaluation screens. Data comes from <script type="application/json"> blocks
// written by Django's json_script; nothing here is inline (CSP).
(function () {
  "use strict";

  function readJson(id) {
    const node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  const charts = [];
  function destroyCharts() { while (charts.length) charts.pop().destroy(); }

  function drawTrends() {
    const data = readJson("kpi-trend-data");
    if (!data || !window.Chart) return;
    const byCode = {};
    data.series.forEach((s) => { byCode[s.code] = s; });
    document.querySelectorAll("canvas.trend-chart").forEach((canvas) => {
      const series = byCode[canvas.dataset.kpi];
      if (!series) return;
      const datasets = [{ label: series.label, data: series.values, borderColor: "#0031d8", backgroundColor: "#0031d8", spanGaps: true, pointRadius: 2 }];
      if (series.target !== null) {
        datasets.push({ label: "目標", data: data.years.map(() => series.target), borderColor: "#e25100", borderDash: [4, 3], pointRadius: 0 });
      }
      charts.push(new window.Chart(canvas, {
        type: "line",
        data: { labels: data.years, datasets: datasets },
        options: { animation: false, responsive: false, plugins: { legend: { display: false } }, scales: { x: { display: false }, y: { display: false } } },
      }));
    });
  }

  function drawGap() {
    const data = readJson("gap-data");
    const canvas = document.getElementById("gap-chart");
    if (!data || !canvas || !window.Chart) return;
    charts.push(new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "課題の割合（ニーズ）%", data: data.need, backgroundColor: "#e25100" },
          { label: "事業の割合（カバー率）%", data: data.coverage, backgroundColor: "#0031d8" },
        ],
      },
      options: { animation: false, indexAxis: "y", responsive: true },
    }));
  }

  function drawIndicators() {
    const data = readJson("indicator-data");
    if (!data || !window.Chart) return;
    data.forEach((item) => {
      const canvas = document.querySelector('canvas.indicator-chart[data-indicator="' + item.id + '"]');
      if (!canvas) return;
      const datasets = [{ label: item.label, data: item.values, borderColor: "#0031d8", backgroundColor: "#0031d8" }];
      if (item.target !== null) {
        datasets.push({ label: "目標", data: item.labels.map(() => item.target), borderColor: "#e25100", borderDash: [4, 3], pointRadius: 0 });
      }
      charts.push(new window.Chart(canvas, { type: "line", data: { labels: item.labels, datasets: datasets }, options: { animation: false } }));
    });
  }

  function drawAll() {
    destroyCharts();
    drawTrends();
    drawGap();
    drawIndicators();
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
