/* gtag.js configuration for the analytics_ga4 plugin: a file rather than an inline script,
 * so a Content-Security-Policy without 'unsafe-inline' holds. The measurement id comes
 * from this script tag's data-measurement-id. */
(function () {
  "use strict";
  var script = document.currentScript;
  var id = script && script.dataset.measurementId;
  if (!id) { return; }
  window.dataLayer = window.dataLayer || [];
  window.gtag = function () { window.dataLayer.push(arguments); };
  window.gtag("js", new Date());
  window.gtag("config", id);
})();
