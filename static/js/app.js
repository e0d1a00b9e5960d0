// Progressive enhancements only: every page works without them.
(function () {
  "use strict";
  // A double click on 提交 sends one request: later submits of the same form are ignored.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (ev.defaultPrevented) return;  // another check (e.g. file size) stopped this submit
      if (form.dataset.submitting === "1") { ev.preventDefault(); return; }
      form.dataset.submitting = "1";
      setTimeout(function () { form.dataset.submitting = ""; }, 8000);
    });
  });
  // Tell the student about an oversized file before sending it (the server checks again).
  document.querySelectorAll("form.upload").forEach(function (form) {
    var maxBytes = parseInt(form.dataset.maxBytes, 10);
    form.addEventListener("submit", function (ev) {
      var input = form.querySelector("input[type=file]");
      var f = input && input.files && input.files[0];
      if (f && maxBytes && f.size > maxBytes) {
        ev.preventDefault();
        form.dataset.submitting = "";
        alert(form.dataset.tooLarge);
      }
    }, true);
  });
})();
// 全选 in staff lists.
document.querySelectorAll("[data-check-all]").forEach(function (box) {
  box.addEventListener("change", function () {
    box.closest("table").querySelectorAll("tbody input[type=checkbox]").forEach(function (c) { c.checked = box.checked; });
  });
});
