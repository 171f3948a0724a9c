/* Baseline: the little behaviour the pages need, served as a file (the CSP allows no inline script).
 *
 * - Confirmation: a form (or its submit button) carrying data-confirm="question" asks the
 *   question before it is sent; Cancel sends nothing. A button's own question wins over its form's.
 * - Error summary: an element with data-error-summary (a refused form's summary at the top) is
 *   scrolled into view and given focus when the page loads, so screen readers announce it.
 * Without JavaScript every form still works; it is only sent without the question.
 */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    summary.scrollIntoView({block: "start"});
    summary.focus();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
