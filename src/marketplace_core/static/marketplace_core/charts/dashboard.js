/* Seller dashboard charts: fetch SellerDashboardAPI's JSON and draw one bar chart per
 * series with the vendored Chart.js (one chart per currency: amounts are never mixed).
 * The container says how it went in data-state: loading, ready or error. */
(function () {
  "use strict";

  function chartFor(container, series) {
    var figure = document.createElement("figure");
    figure.className = "chart";
    figure.dataset.series = series.key;
    var caption = document.createElement("figcaption");
    caption.textContent = series.label;
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", series.label + " per month");
    figure.appendChild(caption);
    figure.appendChild(canvas);
    container.appendChild(figure);
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: series.points.map(function (p) { return p.label; }),
        datasets: [{
          label: series.label,
          data: series.points.map(function (p) { return p.value; }),
          backgroundColor: "rgba(37, 99, 235, 0.6)",
          borderColor: "rgb(37, 99, 235)",
          borderWidth: 1
        }]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        // Counts (no unit) get whole-number ticks; money keeps its decimals.
        scales: { y: { beginAtZero: true, ticks: series.unit ? {} : { precision: 0 } } }
      }
    });
  }

  function draw(container, data) {
    container.textContent = "";
    data.series.forEach(function (series) { chartFor(container, series); });
    container.dataset.state = "ready";
  }

  function fail(container, message) {
    container.dataset.state = "error";
    container.textContent = message;
  }

  function start() {
    var container = document.querySelector("[data-dashboard-api]");
    if (!container) { return; }
    if (!window.Chart) { fail(container, "Charts could not be loaded."); return; }
    fetch(container.dataset.dashboardApi, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      draw(container, data);
    }).catch(function () {
      fail(container, "Charts could not be loaded; the numbers below are up to date.");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
