// Roster import: poll the job's status and move the progress bar; show the result when the job stops.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-status]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-import-status");
  var bar = box.querySelector("progress");
  var pct = box.querySelector("[data-pct]");
  var label = box.querySelector("[data-label]");
  var delay = 700;
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (s) {
        bar.value = s.progress;
        bar.textContent = s.progress + "%";
        pct.textContent = s.progress + "%";
        label.textContent = s.status_label;
        if (!s.running) { window.location.replace(s.url); return; }
        delay = 700;
        setTimeout(tick, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 8000); setTimeout(tick, delay); });
  }
  setTimeout(tick, 400);
})();
