/* Marketplace: small progressive enhancements on top of htmx. Pages work without it. */
(function () {
  "use strict";

  // htmx keeps a copy of the page's HTML for the back button, taken when it pushes
  // the next URL. What someone typed or ticked lives in properties, which HTML does
  // not carry, and by then the form already holds the *next* request's values. So
  // after every swap, write the values that produced the results on screen into
  // the attributes: the copy then shows each page's results with its own words
  // and ticked categories.
  function rememberFieldValues() {
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
  }

  document.addEventListener("htmx:afterSettle", rememberFieldValues);

  // Every HTMX request carries the CSRF token that marketplace_core/includes/wiring.html
  // put in the page's <head>: no attribute on <body>, so a project's own base
  // template needs only that include, and no inline script.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector('meta[name="csrf-token"]');
    // Only to this site: never hand the token to another origin an hx-get names.
    var sameOrigin = new URL(event.detail.path, document.baseURI).origin === location.origin;
    if (token && sameOrigin) {
      event.detail.headers["X-CSRFToken"] = token.content;
    }
  });

  // "Copy" buttons next to a value (a license key): they ship hidden, so without
  // JavaScript the value is plain selectable text and no dead button shows.
  function wireCopyButtons(root) {
    root.querySelectorAll("button[data-copy-target]").forEach(function (button) {
      if (!navigator.clipboard || button.dataset.copyWired) {
        return;
      }
      button.dataset.copyWired = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.dataset.copyTarget);
        if (!target) {
          return;
        }
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = "Copy"; }, 2000);
        });
      });
    });
  }

  // The header's menu on a phone (a <details>, layout.html) opens over the page: Escape
  // or a tap outside it closes it, as people expect of a menu. It works without this.
  function closeSiteMenu(returnFocus) {
    var menu = document.querySelector("details.site-menu[open]");
    if (menu) {
      menu.open = false;
      if (returnFocus) {
        menu.querySelector("summary").focus();
      }
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeSiteMenu(true);
    }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details.site-menu")) {
      closeSiteMenu(false);
    }
  });

  document.addEventListener("DOMContentLoaded", function () { wireCopyButtons(document); });
  document.addEventListener("htmx:afterSettle", function () { wireCopyButtons(document); });
})();
