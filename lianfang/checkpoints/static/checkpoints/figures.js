// The busiest-hours bar chart, drawn with the local plotly.js from numbers on the page.
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("hours-chart");
    var data = document.getElementById("hours-data");
    if (!el || !data || !window.Plotly) return;
    var hours = JSON.parse(data.textContent);
    window.Plotly.newPlot(el, [{ type: "bar", x: hours.x, y: hours.y, marker: { color: "#b3261e" } }], {
      title: { text: el.dataset.title, font: { size: 14 } }, margin: { l: 36, r: 8, t: 36, b: 32 },
      xaxis: { type: "category", fixedrange: true }, yaxis: { fixedrange: true, rangemode: "tozero" }
    }, { responsive: true, displaylogo: false, displayModeBar: false });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
