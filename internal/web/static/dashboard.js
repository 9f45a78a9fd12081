// The console's dashboard, kept live: every 10 seconds it reads
// GET /api/v1/dashboard (with the page's own session cookie) and updates
// the figures in place. Without this script the page shows the figures of
// its last load, and says so.
(function () {
  "use strict";
  var main = document.getElementById("dashboard");
  if (!main || !window.fetch) { return; }
  var url = main.getAttribute("data-live");
  var live = document.getElementById("dash-live");
  var labels = { ok: "", near_capacity: "near capacity", overdraft: "in overdraft", full: "full" };
  var W = 240, H = 40;

  function set(id, v) {
    var el = document.getElementById(id);
    if (el) { el.textContent = String(v); }
  }
  function field(card, name, v) {
    var el = card.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = String(v); }
    return el;
  }
  function points(series, top) {
    top = Math.max(top, 1);
    return series.map(function (v, i) {
      var x = series.length > 1 ? i * W / (series.length - 1) : 0;
      var y = H - Math.min(v, top) * (H - 2) / top - 1;
      return x.toFixed(1) + "," + y.toFixed(1);
    }).join(" ");
  }
  function update(d) {
    var t = d.totals;
    set("total-held", t.held); set("total-seats", t.seats); set("total-full", t.full_pools);
    set("total-near", t.near_capacity_pools); set("total-queued", t.queued);
    set("total-denied", t.denied_today); set("total-pending", t.pending_grants);
    document.getElementById("tile-full").classList.toggle("bad", t.full_pools > 0);
    document.getElementById("tile-near").classList.toggle("warn", t.near_capacity_pools > 0);
    d.pools.forEach(function (p) {
      var card = document.getElementById("pool-" + p.id);
      if (!card) { return; }
      card.className = "card pool state-" + p.state;
      var held = card.querySelector(".held");
      if (held) { held.textContent = String(p.held); }
      var bar = card.querySelector("progress");
      if (bar) { bar.value = p.held; bar.textContent = p.held + " of " + p.seats; }
      var st = field(card, "state", labels[p.state] || "");
      if (st) { st.hidden = !labels[p.state]; }
      field(card, "queued", p.queued); field(card, "denied", p.denied_today); field(card, "overdraft", p.overdraft_in_use);
      var line = card.querySelector("polyline");
      if (line && p.history) {
        line.setAttribute("points", points(p.history, p.capacity));
        field(card, "peak", Math.max.apply(null, p.history));
      }
    });
    var at = new Date(d.at);
    var stamp = document.getElementById("dash-at");
    stamp.setAttribute("datetime", d.at);
    stamp.textContent = at.toISOString().substring(11, 19) + " UTC";
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("status " + r.status); }
        return r.json();
      })
      .then(function (d) { update(d); live.textContent = " · updating live"; })
      .catch(function () { live.textContent = " · live updates paused: reload the page"; });
  }
  live.textContent = " · updating live";
  setInterval(poll, 10000);
}());
