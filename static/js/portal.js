/* Behaviour of the portal's pages, kept out of the HTML: the Content-Security-Policy allows
   scripts from the portal's own files only (no inline script, no event-handler attributes,
   no eval), and no style attributes. */
(function () {
  "use strict";

  // <select data-autosubmit>: choosing a value submits its form (team, language).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });

  // htmx buttons with data-remove-after-request disappear once their request succeeds (the
  // "show full number" button, replaced by the number); when it fails (refused, too many)
  // they say so in their data-failed-text and stay disabled.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.matches || !elt.matches("[data-remove-after-request]")) {
      return;
    }
    if (event.detail.successful) {
      elt.remove();
    } else {
      elt.disabled = true;
      elt.textContent = elt.getAttribute("data-failed-text") || elt.textContent;
    }
  });

  // Progress bars: data-progress="42" sets the width (a style attribute would need
  // 'unsafe-inline'; a style set from a script file does not).
  function showProgress(root) {
    var bars = root.querySelectorAll ? root.querySelectorAll("[data-progress]") : [];
    for (var i = 0; i < bars.length; i++) {
      var value = Math.max(0, Math.min(100, parseFloat(bars[i].getAttribute("data-progress")) || 0));
      bars[i].style.width = value + "%";
    }
  }
  document.addEventListener("DOMContentLoaded", function () { showProgress(document); });
  document.addEventListener("htmx:load", function (event) { showProgress(event.target); });
})();
