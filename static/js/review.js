/* The review page: before a review with any "no" is sent, ask (static/js/baseline.js reads the
 * form's data-confirm when it is submitted). All-"yes" reviews are sent without a question. */
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) { return; }
  function update() {
    var noes = form.querySelectorAll('input[type="radio"][value="no"]:checked').length;
    if (noes) {
      form.setAttribute("data-confirm", "You answered no to " + noes + (noes === 1 ? " criterion" : " criteria") +
        ". One \u201cno\u201d rejects this item for everyone: it will not be listed. Send your review?");
    } else {
      form.removeAttribute("data-confirm");
    }
  }
  form.addEventListener("change", update);
  update();
})();
