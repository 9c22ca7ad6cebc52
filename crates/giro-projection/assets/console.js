// Giro console: draws the overview's charts from /v1/stats/series with uPlot. The page works
// without it; the figures are also in the tables beside the charts.
(function () {
  "use strict";
  var root = document.getElementById("charts");
  if (!root || typeof uPlot === "undefined") {
    return;
  }
  var palette = {
    created: "#1857b8",
    succeeded: "#13795b",
    failed: "#b42318",
    reversed: "#7a1f5c",
    refunded: "#8a5a00",
    cancelled: "#5b6473"
  };
  var spare = ["#0e7490", "#9333ea", "#c2410c", "#4d7c0f", "#be123c", "#1d4ed8"];

  function colour(name, i) {
    return palette[name] || spare[i % spare.length];
  }

  function chart(id, title, times, named, percent) {
    var el = document.getElementById(id);
    if (!el) {
      return;
    }
    var names = Object.keys(named);
    var series = [{}];
    var data = [times];
    names.forEach(function (name, i) {
      series.push({
        label: name,
        stroke: colour(name, i),
        width: 2,
        spanGaps: !!percent,
        // A provider that finished payouts in one step only still shows as a point.
        points: { show: !!percent, size: 6 },
        value: percent
          ? function (u, v) { return v == null ? "–" : (v * 100).toFixed(1) + "%"; }
          : function (u, v) { return v == null ? "–" : String(v); }
      });
      data.push(named[name]);
    });
    var axes = [{}, percent
      ? { values: function (u, vals) { return vals.map(function (v) { return (v * 100).toFixed(0) + "%"; }); } }
      : {}];
    el.textContent = "";
    var width = Math.max(420, Math.min(el.clientWidth || 640, 900));
    new uPlot({
      title: title,
      width: width,
      height: 240,
      series: series,
      axes: axes,
      scales: percent ? { y: { range: [0, 1] } } : {}
    }, data, el);
    el.setAttribute("data-drawn", "true");
  }

  var url = "/v1/stats/series?window=" + encodeURIComponent(root.getAttribute("data-window") || "1h");
  fetch(url, { credentials: "same-origin" })
    .then(function (r) {
      if (!r.ok) {
        throw new Error(url + " answered " + r.status);
      }
      return r.json();
    })
    .then(function (d) {
      chart("chart-by-status", "Payouts per step by status (step " + d.step_seconds + "s)", d.times, d.by_status, false);
      chart("chart-success", "Success rate per provider", d.times, d.success_rate, true);
    })
    .catch(function (e) {
      root.setAttribute("data-error", String(e));
    });
})();
