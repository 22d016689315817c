// The transmission-chain graph: the server lays it out (tracing/chains.py); this only draws it
// with the local plotly.js and opens a case when a person is tapped twice.
(function () {
  "use strict";
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, k) { return String(values[k]); });
  }
  function start() {
    var el = document.getElementById("chain-graph");
    if (!el || !window.Plotly) return;
    var stats = document.getElementById("chain-stats");
    var list = document.getElementById("chain-list");
    var caseUrl = function (uid) { return el.dataset.caseUrl.replace("00000000-0000-0000-0000-000000000000", uid); };
    fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (out) {
        stats.textContent = format(stats.dataset.template, { chains: out.shown, cases: out.cases, contacts: out.contacts, ms: out.ms });
        Plotly.newPlot(el, out.figure.data, out.figure.layout, { responsive: true, displaylogo: false, scrollZoom: true });
        var last = null;
        el.on("plotly_click", function (ev) {
          var uid = ev.points && ev.points[0] && ev.points[0].customdata;
          if (!uid) return;
          // First tap shows the hover label (phones have no hover); a second tap on the same person opens the case.
          if (last === uid || !("ontouchstart" in window)) { window.location = caseUrl(uid); }
          last = uid;
        });
        list.innerHTML = "";
        out.chains.forEach(function (c) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = caseUrl(c.root);
          a.textContent = c.name;
          li.appendChild(a);
          li.appendChild(document.createTextNode(" · " + c.cases + " / " + c.contacts));
          list.appendChild(li);
        });
      })
      .catch(function () { stats.textContent = el.dataset.error; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
