// 毕业去向统计: draws the charts from the JSON the page embeds (json_script "stats-data").
// Progressive enhancement: the tables below the charts carry every figure; without ECharts nothing breaks.
(function () {
  "use strict";
  var holder = document.getElementById("stats-data");
  if (!holder || typeof window.echarts === "undefined") { return; }
  var data = JSON.parse(holder.textContent);
  var L = data.labels;
  var charts = [];
  var palette = ["#1f5fa8", "#23834b", "#9a6a00", "#c0392b", "#6b4fa8", "#2a9d8f", "#e76f51", "#8d99ae",
                 "#f4a261", "#264653", "#b5838d", "#588157", "#bc6c25", "#3a86ff", "#ff006e", "#6c757d"];
  // State colours: 未登记 grey, 草稿 amber, 待鉴证 blue, 已退回 red, 已鉴证 green.
  var stateColours = { none: "#b8c0cc", draft: "#e0b33a", submitted: "#5b8fd6", returned: "#d9534f", verified: "#23834b" };

  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
  }

  var narrow = window.innerWidth < 600;
  var axisLabel = { interval: 0, rotate: narrow ? 40 : (data.colleges.length > 4 ? 20 : 0), fontSize: 11 };
  var legend = { type: "scroll", top: 24 };
  function pct(p) { return p.value === null || p.value === undefined ? "" : Number(p.value).toFixed(1) + "%"; }

  make("chart-rates", {
    color: ["#1f5fa8", "#7fa7d8", "#23834b"],
    title: { text: L.rates_title, left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : Number(v).toFixed(1) + "%"; } },
    legend: legend,
    grid: { top: 64, left: 8, right: 16, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.colleges, axisLabel: axisLabel },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: L.placement, type: "bar", data: data.placement, label: { show: !narrow, position: "top", formatter: pct, fontSize: 10 } },
      { name: L.placement_pending, type: "bar", data: data.placement_pending },
      { name: L.knowledge, type: "bar", data: data.knowledge }
    ]
  });

  make("chart-status", {
    title: { text: L.status_title, left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: legend,
    grid: { top: 64, left: 8, right: 16, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.colleges, axisLabel: axisLabel },
    yAxis: { type: "value" },
    series: data.states.map(function (s) {
      return { name: s.name, type: "bar", stack: "state", data: s.data, itemStyle: { color: stateColours[s.key] } };
    })
  });

  make("chart-categories", {
    color: palette,
    title: { text: L.categories_title, left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    legend: { type: "scroll", top: 24 },
    series: [{
      type: "pie", radius: narrow ? ["20%", "45%"] : ["30%", "60%"], center: ["50%", "58%"], data: data.categories,
      minShowLabelAngle: 5, avoidLabelOverlap: true,
      label: { formatter: narrow ? "{d}%" : "{b}\n{d}%", fontSize: 11 }
    }]
  });

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
