// Cascading 省 → 市 → 区县 selects that fill a hidden GB/T 2260 code.
(function () {
  "use strict";
  function fill(select, items, placeholder) {
    select.innerHTML = "";
    var o = document.createElement("option"); o.value = ""; o.textContent = placeholder; select.appendChild(o);
    (items || []).forEach(function (it) {
      var opt = document.createElement("option"); opt.value = it.code; opt.textContent = it.name; select.appendChild(opt);
    });
    select.disabled = !items || items.length === 0;
  }
  function find(items, code) { return (items || []).filter(function (i) { return i.code === code; })[0]; }
  function init(picker, tree) {
    var hidden = document.getElementById(picker.dataset.target);
    var p = picker.querySelector(".rp-province"), c = picker.querySelector(".rp-city"), d = picker.querySelector(".rp-county");
    var ph = [p.options[0].textContent, c.options[0].textContent, d.options[0].textContent];
    fill(p, tree, ph[0]);
    function cityItems() { var prov = find(tree, p.value); return prov ? prov.children : []; }
    function countyItems() {
      var city = find(cityItems(), c.value);
      if (city && city.children && city.children.length) return city.children;
      return [];
    }
    function sync() { hidden.value = d.value || c.value || p.value || ""; }
    p.addEventListener("change", function () { fill(c, cityItems(), ph[1]); fill(d, [], ph[2]); sync(); });
    c.addEventListener("change", function () { fill(d, countyItems(), ph[2]); sync(); });
    d.addEventListener("change", sync);
    // Restore a saved code: walk down the tree to it.
    var code = hidden.value;
    fill(c, [], ph[1]); fill(d, [], ph[2]);
    if (code) {
      tree.forEach(function (prov) {
        if (prov.code === code) { p.value = prov.code; fill(c, prov.children, ph[1]); }
        (prov.children || []).forEach(function (city) {
          if (city.code === code) { p.value = prov.code; fill(c, prov.children, ph[1]); c.value = city.code; fill(d, city.children, ph[2]); }
          (city.children || []).forEach(function (county) {
            if (county.code === code) {
              p.value = prov.code; fill(c, prov.children, ph[1]); c.value = city.code; fill(d, city.children, ph[2]); d.value = county.code;
            }
          });
        });
      });
    }
  }
  var pickers = document.querySelectorAll(".region-picker");
  if (!pickers.length) return;
  fetch(pickers[0].dataset.source, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (tree) { pickers.forEach(function (pk) { init(pk, tree); }); });
})();
