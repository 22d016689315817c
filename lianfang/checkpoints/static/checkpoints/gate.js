// The gate on a phone: every record goes into a queue in localStorage first and is sent in
// batches, so a dead network or a reload loses nothing. The server decides (it repeats every
// check); the checks here only save a round trip. Without this script the form posts as is.
(function () {
  "use strict";
  var root = document.getElementById("gate");
  var form = document.getElementById("gate-form");
  if (!root || !form || !window.localStorage || !window.fetch) return;
  var T = JSON.parse(document.getElementById("gate-strings").textContent);
  var checkpoint = root.dataset.checkpoint;
  var KEY = "lianfang:gate:" + checkpoint + ":";
  var BATCH = 200;
  var RETRY_MS = 15000;
  var $ = function (id) { return document.getElementById(id); };
  var syncing = false;
  var lastFailed = false;

  // --- storage --------------------------------------------------------------------------------
  function load(name, fallback) {
    try { var v = JSON.parse(localStorage.getItem(KEY + name)); return v === null ? fallback : v; } catch (e) { return fallback; }
  }
  function save(name, value) { localStorage.setItem(KEY + name, JSON.stringify(value)); }

  // A v4 UUID from crypto.getRandomValues: crypto.randomUUID needs https, the gate's LAN is http.
  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_m, k) { return values[k] === undefined ? "" : String(values[k]); });
  }

  // The cookie first: a page reloaded from the service worker's cache may carry an old token.
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : form.querySelector("[name=csrfmiddlewaretoken]").value;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- the form -------------------------------------------------------------------------------
  function value(name) {
    var field = form.elements[name];
    if (!field) return "";
    if (field.length !== undefined && field.tagName === undefined) { // radio group
      var checked = form.querySelector("[name=" + name + "]:checked");
      return checked ? checked.value : "";
    }
    return (field.value || "").trim();
  }
  function setValue(name, v) {
    var field = form.elements[name];
    if (!field) return;
    if (field.length !== undefined && field.tagName === undefined) {
      Array.prototype.forEach.call(field, function (r) { r.checked = r.value === (v || ""); });
    } else {
      field.value = v || "";
    }
  }
  function yesNo(v) { return v === "yes" ? true : v === "no" ? false : null; }
  function fromYesNo(v) { return v === true ? "yes" : v === false ? "no" : ""; }

  function showModes() {
    var mode = value("mode") || "card";
    form.querySelectorAll("[data-modes]").forEach(function (g) {
      g.hidden = g.dataset.modes.split(" ").indexOf(mode) < 0;
    });
    form.querySelector(".grp-reason").hidden = value("outcome") !== "turned_back";
    $("temp-hint").hidden = value("direction") !== "in";
  }

  function temperatureCheck(raw) {
    var text = raw.replace(/，/g, ".").replace(/,/g, ".").replace("℃", "").replace("°C", "").replace("°", "").trim();
    if (!text) return null;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) return T.temp_number;
    var v = parseFloat(text);
    if (v >= 34 && v <= 43) return null;
    var factors = [0.1, 10, 0.01];
    for (var i = 0; i < factors.length; i++) {
      var guess = Math.round(v * factors[i] * 10) / 10;
      if (guess >= 34 && guess <= 43) return fmt(T.temp_guess, { value: text, guess: guess.toFixed(1) });
    }
    return T.temp_range;
  }

  var platePattern = new RegExp(root.dataset.platePattern, "u");
  function plateClean(raw) {
    return (raw || "").normalize("NFKC").replace(/[\s·.\-•・]+/g, "").toUpperCase();
  }

  // The record as the API takes it, or [field, message] for the first thing the server would refuse.
  function build() {
    var mode = value("mode") || "card";
    var r = {
      uid: value("uid"), checkpoint: checkpoint, at: new Date().toISOString(), direction: value("direction"),
      card: mode === "card" ? value("card") : "", id_number: mode === "id_number" ? value("id_number") : "",
      name: mode === "card" ? "" : value("name"), phone: mode === "card" ? "" : value("phone"),
      temperature: value("temperature") || null, mask: yesNo(value("mask")), health_code: value("health_code"),
      plate: value("plate"), disinfected: yesNo(value("disinfected")), purpose: value("purpose"),
      outcome: value("outcome") || "passed", turn_back_reason: value("turn_back_reason")
    };
    if (r.direction !== "in" && r.direction !== "out") return ["direction", T.direction];
    if (mode === "card" && !r.card) return ["card", T.card_missing];
    if (mode === "id_number" && !r.id_number) return ["id_number", T.id_missing];
    if (mode === "visitor" && !r.name) return ["name", T.identity];
    if (mode === "visitor" && !r.phone) return ["phone", T.phone];
    var t = r.temperature ? temperatureCheck(r.temperature) : null;
    if (t) return ["temperature", t];
    if (!r.temperature && r.direction === "in") return ["temperature", T.temp_required];
    if (r.plate && !platePattern.test(plateClean(r.plate))) return ["plate", fmt(T.plate, { plate: r.plate })];
    if (r.outcome === "turned_back" && !r.turn_back_reason) return ["turn_back_reason", T.reason];
    return r;
  }

  function clientError(field, message) {
    var box = $("client-error");
    form.querySelectorAll(".has-error").forEach(function (e) { e.classList.remove("has-error"); });
    if (!message) { box.hidden = true; return; }
    box.textContent = message;
    box.hidden = false;
    var input = form.elements[field];
    if (input && input.tagName) {
      input.closest("label, .grp").classList.add("has-error");
      input.focus();
    }
  }

  // After a record: the person's fields are cleared, the gate's habits (direction, mode) stay.
  function resetPerson() {
    ["card", "id_number", "name", "phone", "temperature", "plate", "purpose", "turn_back_reason"].forEach(function (n) { setValue(n, ""); });
    ["mask", "health_code", "disinfected"].forEach(function (n) { setValue(n, ""); });
    setValue("outcome", "passed");
    setValue("uid", uuid4());
    $("card-info").textContent = "";
    checked = null;
    showModes();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var r = build();
    if (Array.isArray(r)) { clientError(r[0], r[1]); return; }
    clientError(null, null);
    var queue = load("queue", []);
    if (!queue.some(function (q) { return q.uid === r.uid; })) queue.push(r);
    save("queue", queue);
    resetPerson();
    var focus = form.elements[(value("mode") || "card") === "card" ? "card" : value("mode") === "id_number" ? "id_number" : "name"];
    if (focus) focus.focus();
    render();
    sync();
  });
  form.addEventListener("change", showModes);

  // --- sending --------------------------------------------------------------------------------
  function message(text) {
    var box = $("sync-message");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function addResults(results) {
    var list = load("results", []);
    results.forEach(function (res) {
      list.unshift({ uid: res.uid, name: res.name || res.plate, direction: res.direction, outcome: res.outcome,
                     breach: res.is_breach, created: res.created, notes: res.notes, temperature: res.temperature,
                     at: res.at });
    });
    save("results", list.slice(0, 10));
  }

  function sync() {
    var queue = load("queue", []);
    if (syncing || !queue.length) { render(); return Promise.resolve(); }
    syncing = true;
    var batch = queue.slice(0, BATCH);
    $("net-state").textContent = T.sending;
    return fetch(root.dataset.batchUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
      body: JSON.stringify({ records: batch })
    }).then(function (response) {
      lastFailed = false;
      return response.json().catch(function () { return {}; }).then(function (body) { return [response.status, body]; });
    }).then(function (out) {
      var status = out[0], body = out[1];
      var sent = batch.map(function (r) { return r.uid; });
      if (status === 200) {
        remove(sent);
        addResults(body.results || []);
        save("last_sync", new Date().toISOString());
        message("");
      } else if (status === 422) {
        setAside(batch, body);
      } else if (status === 401 || status === 403) {
        message(T.login);
        lastFailed = true;
      } else {
        message(fmt(T.server, { status: status }));
        lastFailed = true;
      }
      syncing = false;
      render();
      // More to send: the rest of a long queue, or the good records of a refused batch.
      if (!lastFailed && (status === 200 || status === 422) && load("queue", []).length) return sync();
    }).catch(function () {
      syncing = false;
      lastFailed = true;
      render();
    });
  }

  function remove(uids) {
    save("queue", load("queue", []).filter(function (q) { return uids.indexOf(q.uid) < 0; }));
  }

  // A refused batch stored nothing: the records named in the errors wait for the user, the
  // others go back out. Ninja's own validation errors (a malformed record) name the index in `loc`.
  function setAside(batch, body) {
    var byIndex = {};
    (body.errors || []).forEach(function (e) { (byIndex[e.index] = byIndex[e.index] || []).push(e.message); });
    if (Array.isArray(body.detail)) {
      body.detail.forEach(function (e) {
        var i = (e.loc || []).filter(function (x) { return typeof x === "number"; })[0];
        if (i !== undefined) (byIndex[i] = byIndex[i] || []).push(e.msg);
      });
    }
    var bad = Object.keys(byIndex);
    if (!bad.length) { // nothing names a record: keep them all, show why, try again later
      message(body.detail || fmt(T.server, { status: 422 }));
      lastFailed = true;
      return;
    }
    var attention = load("attention", []);
    var uids = bad.map(function (i) {
      var r = batch[+i];
      attention.push({ record: r, messages: byIndex[i] });
      return r.uid;
    });
    save("attention", attention);
    remove(uids);
  }

  // --- showing --------------------------------------------------------------------------------
  function time(iso) {
    var d = new Date(iso);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) + ":" + ("0" + d.getSeconds()).slice(-2);
  }

  function render() {
    var queue = load("queue", []);
    $("queue-count").textContent = String(queue.length);
    var last = load("last_sync", null);
    $("last-sync").textContent = last ? time(last) : T.never;
    var online = navigator.onLine && !lastFailed;
    var state = $("net-state");
    state.dataset.state = online ? "online" : "offline";
    state.className = "badge " + (online ? "ok" : "err");
    if (!syncing) state.textContent = online ? T.online : T.offline;
    renderResults();
    renderAttention();
  }

  function renderResults() {
    var list = $("sync-results");
    list.textContent = "";
    load("results", []).forEach(function (r, i) {
      var kind = r.breach ? "stop" : r.outcome === "referred" ? "refer" : r.outcome === "turned_back" ? "back" : "ok";
      var li = el("li", "result " + kind + (i ? " older" : ""));
      li.dataset.uid = r.uid;
      if (r.breach) li.appendChild(el("b", "big", T.stop));
      else if (r.outcome === "referred") li.appendChild(el("b", "big", T.refer));
      var line = [r.name, T.directions[r.direction] || r.direction, T.outcomes[r.outcome] || r.outcome];
      if (r.temperature) line.push(r.temperature + " °C");
      li.appendChild(el("p", "", time(r.at) + " · " + line.join(" · ")));
      (r.notes || []).forEach(function (n) { li.appendChild(el("p", "note", n)); });
      if (!r.created) li.appendChild(el("p", "muted", T.already));
      list.appendChild(li);
    });
  }

  function renderAttention() {
    var attention = load("attention", []);
    $("attention").hidden = !attention.length;
    var list = $("attention-list");
    list.textContent = "";
    attention.forEach(function (item) {
      var r = item.record;
      var li = el("li", "needs");
      var where = el("div", "where");
      where.appendChild(el("b", "", r.name || r.card.slice(0, 12) || r.id_number || r.plate || "?"));
      where.appendChild(el("span", "muted", " " + time(r.at) + " · " + (T.directions[r.direction] || r.direction)));
      item.messages.forEach(function (m) { where.appendChild(el("p", "error", m)); });
      li.appendChild(where);
      var fix = el("button", "", T.fix);
      fix.type = "button";
      fix.addEventListener("click", function () { putBack(r.uid); });
      var drop = el("button", "", T.discard);
      drop.type = "button";
      drop.addEventListener("click", function () { if (window.confirm(T.confirm_discard)) discard(r.uid); });
      li.appendChild(fix);
      li.appendChild(drop);
      list.appendChild(li);
    });
  }

  function discard(uid) {
    save("attention", load("attention", []).filter(function (i) { return i.record.uid !== uid; }));
    render();
  }

  // Back into the form with its own uid: it was never stored, so sending it fixed stores it once.
  function putBack(uid) {
    var item = load("attention", []).filter(function (i) { return i.record.uid === uid; })[0];
    if (!item) return;
    var r = item.record;
    setValue("mode", r.card ? "card" : r.id_number ? "id_number" : "visitor");
    ["uid", "direction", "card", "id_number", "name", "phone", "health_code", "plate", "purpose", "outcome", "turn_back_reason"]
      .forEach(function (n) { setValue(n, r[n]); });
    setValue("temperature", r.temperature === null ? "" : String(r.temperature));
    setValue("mask", fromYesNo(r.mask));
    setValue("disinfected", fromYesNo(r.disinfected));
    if (r.plate) form.querySelector("details.vehicle").open = true;
    discard(uid);
    showModes();
    clientError(null, null);
    message(item.messages.join(" "));
    form.scrollIntoView();
  }

  // --- the card: scanner, camera, photo -------------------------------------------------------
  var card = form.elements.card;
  var checked = null;
  var checks = 0;

  // Enter and the change on blur both ask: one lookup per code, and only the latest is shown.
  function check(code) {
    if (code === checked) return;
    checked = code;
    var n = ++checks;
    var info = $("card-info");
    info.textContent = "";
    if (!code || !navigator.onLine) { checked = null; return; }
    fetch(root.dataset.checkUrl + "?code=" + encodeURIComponent(code), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
      .then(function (out) {
        var ok = out[0], b = out[1];
        if (n !== checks || card.value.trim() !== code) return; // another card was scanned meanwhile
        if (!ok) { info.appendChild(el("p", "error", b.detail || "")); return; }
        info.appendChild(el("p", "", T.card + " " + b.number + " · " + b.address));
        info.appendChild(el("p", "muted", T.members + ": " + b.members.join("、")));
        if (b.exit_blocked) {
          var warn = el("p", "banner-stop", T.exit_blocked + ": " + b.quarantined.join("、"));
          warn.id = "exit-blocked";
          info.appendChild(warn);
        }
      })
      .catch(function () { /* offline: the server checks when the record is sent */ });
  }

  // A USB or Bluetooth scanner types the code and Enter: look the card up, do not submit yet.
  card.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    check(card.value.trim());
    form.elements.temperature.focus();
  });
  card.addEventListener("change", function () { check(card.value.trim()); });

  function scanned(code) {
    card.value = code;
    check(code);
    form.elements.temperature.focus();
  }

  var camera = form.querySelector(".camera");
  var video = $("camera");
  camera.hidden = false;
  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    $("camera-start").addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
        var tick = function () {
          if (video.hidden) return;
          detector.detect(video).then(function (codes) {
            if (codes.length) { stop(); scanned(codes[0].rawValue); } else { setTimeout(tick, 250); }
          }).catch(function () { setTimeout(tick, 500); });
        };
        video.addEventListener("click", stop, { once: true });
        tick();
      }).catch(function () { message(T.camera_failed); });
    });
  } else {
    // No live detector (iOS Safari, older Android): the phone's camera app takes a photo and the server reads it.
    $("camera-start").hidden = true;
    form.querySelector(".photo").hidden = false;
    $("card-photo").addEventListener("change", function () {
      var file = this.files[0];
      if (!file) return;
      var data = new FormData();
      data.append("image", file);
      fetch(root.dataset.decodeUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf() }, body: data })
        .then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
        .then(function (out) { if (out[0] && out[1].code) scanned(out[1].code); else message(out[1].detail || T.decode_failed); })
        .catch(function () { message(T.decode_failed); });
      this.value = "";
    });
  }

  // --- start ----------------------------------------------------------------------------------
  $("gate-status").hidden = false;
  $("sync-now").addEventListener("click", function () { lastFailed = false; sync(); });
  window.addEventListener("online", function () { lastFailed = false; sync(); });
  window.addEventListener("offline", render);
  window.addEventListener("storage", function (e) { if (e.key && e.key.indexOf(KEY) === 0) render(); });
  setInterval(function () { if (load("queue", []).length) sync(); }, RETRY_MS);
  // The server's own result of a no-JS post is already on the page; a fresh uid per record from here on.
  setValue("uid", uuid4());
  showModes();
  render();
  sync();
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.swScope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var files = Array.prototype.map.call(document.querySelectorAll("script[src], link[rel=stylesheet]"), function (e) {
        return e.src || e.href;
      });
      registration.active.postMessage({ cache: [location.pathname].concat(files) });
    }).catch(function () {});
  }
})();
