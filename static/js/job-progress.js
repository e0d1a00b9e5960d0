// A background job's page (roster import, national export, the generic job page of 后台任务): poll the job's status, move the progress bar,
// and reload the page when the job stops (it then shows the result, the download link or the error).
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-job-status");
  var bar = box.querySelector("progress");
  var pct = box.querySelector("[data-pct]");
  var label = box.querySelector("[data-label]");
  var count = box.querySelector("[data-count]");
  var delay = 700;
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (s) {
        bar.value = s.progress;
        bar.textContent = s.progress + "%";
        pct.textContent = s.progress + "%";
        label.textContent = s.status_label;
        if (count && s.total) { count.textContent = s.done + " / " + s.total; }
        if (!s.running) { window.location.replace(s.url); return; }
        delay = 1000;
        setTimeout(tick, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 8000); setTimeout(tick, delay); });
  }
  setTimeout(tick, 500);
})();
