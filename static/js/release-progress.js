/* The releases page while a release is being built: ask the API for the build's step every 1.5 s
 * and show it in place (no page refresh); once the release is published or has failed, open the
 * page's outcome view (?built=N), which says which and links the files or shows the error. A lost
 * connection is said so and retried, more slowly each time. Without scripts, a <noscript> refresh. */
(function () {
  "use strict";
  var box = document.querySelector("[data-follow]");
  if (!box) { return; }
  var step = box.querySelector("[data-progress]");
  var attempts = box.querySelector("[data-attempts]");
  var note = box.querySelector("[data-follow-note]");
  var failures = 0;
  function later() { window.setTimeout(poll, Math.min(15000, 1500 * Math.pow(2, failures))); }
  function poll() {
    window.fetch(box.getAttribute("data-follow"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (release) {
        failures = 0;
        if (release.status !== "building") {
          window.location.assign(box.getAttribute("data-done"));
          return;
        }
        step.textContent = release.progress || "queued";
        if (attempts && release.attempts !== undefined) { attempts.textContent = String(release.attempts); }
        note.textContent = "This page follows the build: it shows when the release is published or has failed.";
        later();
      })
      .catch(function () {
        failures += 1;
        note.textContent = "Cannot reach the server to follow the build; trying again\u2026";
        later();
      });
  }
  window.setTimeout(poll, 1500);
})();
