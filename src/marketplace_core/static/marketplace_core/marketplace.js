/* Marketplace: small progressive enhancements on top of htmx. Pages work without it. */
(function () {
  "use strict";

  // htmx saves a copy of the page's HTML before it pushes a new URL, and puts it back
  // on "back". What someone typed or ticked lives in properties, not attributes, so
  // copy it into the attributes first: the restored page then shows the search words
  // and categories that belong to the restored results.
  document.addEventListener("htmx:beforeHistorySave", function () {
    document.querySelectorAll("input, textarea, select").forEach(function (field) {
      if (field.type === "password" || field.type === "hidden" || field.type === "file") {
        return;
      }
      if (field.type === "checkbox" || field.type === "radio") {
        field.toggleAttribute("checked", field.checked);
      } else if (field.tagName === "TEXTAREA") {
        field.textContent = field.value;
      } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (option) {
          option.toggleAttribute("selected", option.selected);
        });
      } else {
        field.setAttribute("value", field.value);
      }
    });
  });
})();
