/* Seller dashboard: charts from SellerDashboardAPI's JSON (the period the page shows), drawn
 * with the vendored Chart.js, one chart per series (one per currency: amounts are never
 * mixed), and the product table sorted by the column heading clicked.
 * The charts container says how it went in data-state: loading, ready or error.
 * Readable with one sale and on a phone: money and counts are thin bars (a single sale is
 * one bar, not a wall of empty ones), traffic is a line, axis labels are thinned out. */
(function () {
  "use strict";

  var BLUE = "rgb(37, 99, 235)";

  function total(series) {
    return series.points.reduce(function (sum, p) { return sum + p.value; }, 0);
  }

  function caption(series) {
    var sum = total(series);
    var text = series.label;
    if (series.unit && series.unit.length === 3) {
      text += " · " + sum.toLocaleString(undefined, { style: "currency", currency: series.unit });
    } else {
      text += " · " + Math.round(sum).toLocaleString();
    }
    return text;
  }

  function figureFor(container, series) {
    var figure = document.createElement("figure");
    figure.className = "chart";
    figure.dataset.series = series.key;
    var label = document.createElement("figcaption");
    figure.appendChild(label);
    container.appendChild(figure);
    if (!series.points.length) {
      // A series without data (an analytics service not set up, or not answering): say why.
      label.textContent = series.label;
      var empty = document.createElement("p");
      empty.className = "chart-empty muted";
      empty.textContent = series.note || "No data for this period.";
      figure.appendChild(empty);
      figure.dataset.empty = "true";
      return null;
    }
    label.textContent = caption(series);
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", caption(series));
    figure.appendChild(canvas);
    var traffic = !series.unit || series.unit.length !== 3;
    traffic = traffic && series.key !== "sales";
    return new window.Chart(canvas, {
      type: traffic ? "line" : "bar",
      data: {
        labels: series.points.map(function (p) { return p.label; }),
        datasets: [{
          label: series.label,
          data: series.points.map(function (p) { return p.value; }),
          backgroundColor: traffic ? "rgba(37, 99, 235, 0.15)" : "rgba(37, 99, 235, 0.7)",
          borderColor: BLUE,
          borderWidth: traffic ? 2 : 0,
          maxBarThickness: 28,
          pointRadius: 0,
          fill: traffic,
          tension: 0.25
        }]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { grid: { display: false },
               ticks: { autoSkip: true, maxRotation: 0, maxTicksLimit: 6 } },
          // Counts get whole-number ticks; money keeps its decimals.
          y: { beginAtZero: true, ticks: series.unit && series.unit.length === 3
            ? { maxTicksLimit: 5 } : { precision: 0, maxTicksLimit: 5 } }
        }
      }
    });
  }

  function draw(container, data) {
    container.textContent = "";
    data.series.forEach(function (series) { figureFor(container, series); });
    container.dataset.state = "ready";
  }

  function fail(container, message) {
    container.dataset.state = "error";
    container.textContent = message;
  }

  function startCharts() {
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

  function sortBy(table, header) {
    var headers = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    var index = headers.indexOf(header);
    var numeric = header.querySelector("button").dataset.sort === "number";
    // First click: text A→Z, numbers largest first; clicking again reverses.
    var descending = header.getAttribute("aria-sort") === "none"
      ? numeric : header.getAttribute("aria-sort") === "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].dataset.value, y = b.cells[index].dataset.value;
      var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (th) { th.setAttribute("aria-sort", "none"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function startSorting() {
    document.querySelectorAll("table[data-sortable]").forEach(function (table) {
      table.querySelectorAll("thead th button").forEach(function (button) {
        button.addEventListener("click", function () {
          sortBy(table, button.closest("th"));
        });
      });
    });
  }

  function start() {
    startSorting();
    startCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
