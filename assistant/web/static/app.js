// carvoice cabin view: one EventSource (a snapshot, then live events) and three JSON inputs.
// Plain JavaScript, no framework, no build step; text goes into the page as text only.
"use strict";
(() => {
  const NAV = "Vehicle.Cabin.Infotainment.Navigation.DestinationSet";
  const LAT = "Vehicle.CurrentLocation.Latitude";
  const LON = "Vehicle.CurrentLocation.Longitude";
  const CHILD_LOCK = "Vehicle.Cabin.IsWindowChildLockEngaged";
  const ROUTE = new Set([LAT, LON, NAV + ".Latitude", NAV + ".Longitude", NAV + ".Name"]);
  const SEAT_NAMES = { driver: "Driver", passenger: "Passenger", "rear-left": "Rear left", "rear-right": "Rear right" };
  const KEPT_RENDERS = 2000;

  // What tests and the latency measurement read: the state as drawn, and when each change was drawn.
  const view = { state: {}, renders: [], snapshots: 0, ready: false, model: null, health: null };
  window.carvoiceView = view;

  const $ = (id) => document.getElementById(id);
  const bound = new Map();
  for (const el of document.querySelectorAll("[data-path]")) {
    const list = bound.get(el.dataset.path) || [];
    list.push(el);
    bound.set(el.dataset.path, list);
  }

  // -- formatting --------------------------------------------------------------------------
  const trim = (v, digits) => Number(v).toFixed(digits).replace(/\.0+$/, "");
  const levelOf = (pct) => [0, 33, 67, 100].reduce((best, p, i, all) =>
    Math.abs(p - Math.abs(pct)) < Math.abs(all[best] - Math.abs(pct)) ? i : best, 0);
  const missing = { text: "—" };
  const FORMATS = {
    speed: (v) => ({ text: `${trim(v, 1)} km/h` }),
    temp: (v) => ({ text: `${Number(v).toFixed(1)} °C` }),
    fan: (v) => ({ text: v > 0 ? `level ${Math.round(v / 10)} · ${v} %` : "off", state: v > 0 ? "on" : "off" }),
    air: (v) => ({ text: { UP: "↑ windscreen", MIDDLE: "→ face", DOWN: "↓ footwell" }[v] || String(v) }),
    heat: (v) => v > 0 ? { text: `heating ${levelOf(v)}`, state: "heat" }
      : v < 0 ? { text: `ventilation ${levelOf(v)}`, state: "vent" } : { text: "off", state: "off" },
    level: (v) => v > 0 ? { text: `level ${levelOf(v)}`, state: "on" } : { text: "off", state: "off" },
    mm: (v) => ({ text: `${v} mm` }),
    deg: (v) => ({ text: `${trim(v, 1)}°` }),
    onoff: (v) => ({ text: v ? "on" : "off", state: v ? "on" : "off" }),
    lock: (v) => ({ text: v ? "engaged" : "off", state: v ? "on" : "off" }),
    window: (v) => ({ text: v <= 0 ? "closed" : `${v} %`, state: v <= 0 ? "closed" : "open", fill: v / 100 }),
    sunroof: (v) => v > 0 ? { text: `open ${v} %`, state: "open", fill: v / 100 }
      : v < 0 ? { text: `tilted ${-v} %`, state: "tilted", fill: -v / 100 } : { text: "closed", state: "closed", fill: 0 },
  };
  const LABELS = [
    [/Station\.(Row\d\.\w+)\.Temperature$/, "temperature"], [/Station\.(Row\d\.\w+)\.FanSpeed$/, "fan"],
    [/Station\.(Row\d\.\w+)\.AirDistribution$/, "air"], [/Seat\.(Row\d\.\w+)\.HeatingCooling$/, "seat"],
    [/Seat\.(Row\d\.\w+)\.Massage\.Level$/, "massage"], [/Seat\.(Row\d\.\w+)\.Position$/, "seat position"],
    [/Seat\.(Row\d\.\w+)\.Backrest\.Recline$/, "recline"], [/Door\.(Row\d\.\w+)\.Window\.Position$/, "window"],
  ];
  const PLACES = { "Row1.Driver": "driver", "Row1.Passenger": "passenger", "Row2.Driver": "rear left",
    "Row2.Passenger": "rear right", "Row1.DriverSide": "driver", "Row1.PassengerSide": "passenger",
    "Row2.DriverSide": "rear left", "Row2.PassengerSide": "rear right" };
  const OTHER = { "Vehicle.Cabin.Sunroof.Position": "sunroof", "Vehicle.Speed": "speed",
    "Vehicle.Cabin.HVAC.IsAirConditioningActive": "A/C", "Vehicle.Cabin.HVAC.IsRecirculationActive": "recirculation",
    "Vehicle.Cabin.HVAC.IsFrontDefrosterActive": "front defrost", "Vehicle.Cabin.HVAC.IsRearDefrosterActive": "rear defrost",
    "Vehicle.Cabin.IsWindowChildLockEngaged": "child lock", "Vehicle.Cabin.HVAC.AmbientAirTemperature": "outside",
    [NAV + ".Name"]: "destination", [NAV + ".Latitude"]: "destination latitude",
    [NAV + ".Longitude"]: "destination longitude" };

  function label(path) {
    for (const [re, what] of LABELS) {
      const m = re.exec(path);
      if (m) return `${PLACES[m[1]] || m[1]} ${what}`;
    }
    return OTHER[path] || path.replace(/^Vehicle\./, "");
  }

  function shown(path, value) {
    const el = (bound.get(path) || [])[0];
    if (value === null || value === undefined) return "none";
    if (el && FORMATS[el.dataset.format]) return FORMATS[el.dataset.format](value).text;
    return typeof value === "number" ? trim(value, 4) : String(value);
  }

  // -- the car -----------------------------------------------------------------------------
  function draw(el, value, flash) {
    const r = value === null || value === undefined ? missing : FORMATS[el.dataset.format](value);
    (el.querySelector("[data-text]") || el).textContent = r.text;
    el.dataset.value = JSON.stringify(value === undefined ? null : value);
    if (r.state) el.dataset.state = r.state; else delete el.dataset.state;
    if (r.fill !== undefined) {
      el.style.setProperty("--fill", String(Math.max(0, Math.min(1, r.fill))));
      if (el.getAttribute("role") === "meter") el.setAttribute("aria-valuenow", String(Math.round(r.fill * 100)));
    }
    if (flash) {
      el.classList.remove("flash");
      void el.offsetWidth; // restart the animation
      el.classList.add("flash");
    }
  }

  function apply(path, value, flash) {
    view.state[path] = value;
    for (const el of bound.get(path) || []) draw(el, value, flash);
    if (ROUTE.has(path)) drawRoute();
    if (path === CHILD_LOCK) $("sim-lock").checked = Boolean(value);
    const sensor = document.querySelector(`form[data-sensor="${path}"] input`);
    if (sensor && typeof value === "number") sensor.placeholder = trim(value, 1);
  }

  const rad = (d) => d * Math.PI / 180;
  function drawRoute() {
    const s = view.state;
    const lat = s[LAT], lon = s[LON], dlat = s[NAV + ".Latitude"], dlon = s[NAV + ".Longitude"];
    const here = typeof lat === "number" && typeof lon === "number";
    $("route-here").textContent = here ? `${lat.toFixed(4)}, ${lon.toFixed(4)}` : "—";
    const compass = $("compass");
    if (typeof dlat !== "number" || typeof dlon !== "number" || !here) {
      $("route-name").textContent = "No route";
      $("route-distance").textContent = "—";
      $("route-direction").textContent = "—";
      compass.dataset.state = "none";
      compass.setAttribute("aria-label", "No destination");
      return;
    }
    const p1 = rad(lat), p2 = rad(dlat), dl = rad(dlon - lon);
    const a = Math.sin((p2 - p1) / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
    const km = 6371.0088 * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
    const y = Math.sin(dl) * Math.cos(p2);
    const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
    const bearing = (Math.atan2(y, x) * 180 / Math.PI + 360) % 360;
    const point = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"][Math.round(bearing / 45) % 8];
    $("route-name").textContent = s[NAV + ".Name"] || `${dlat.toFixed(4)}, ${dlon.toFixed(4)}`;
    $("route-distance").textContent = km < 1 ? `${Math.round(km * 1000)} m` : `${km.toFixed(1)} km`;
    $("route-direction").textContent = `${point} · ${Math.round(bearing)}°`;
    compass.dataset.state = "set";
    compass.style.setProperty("--bearing", `${bearing.toFixed(1)}deg`);
    compass.setAttribute("aria-label", `Destination to the ${point}, ${Math.round(bearing)} degrees`);
  }

  function drawHealth(h) {
    view.health = h;
    const list = $("ecus");
    list.replaceChildren(...h.ecus.map((e) => {
      const li = document.createElement("li");
      li.dataset.state = e.status;
      li.dataset.ecu = e.name;
      li.append(e.name);
      const why = e.status === "silent" ? `not answering (${e.not_answered} missed)`
        : e.status === "no-status" ? "no status yet" : e.rejected ? `${e.rejected} rejected` : "";
      if (why) {
        const span = document.createElement("span");
        span.className = "why";
        span.textContent = why;
        li.append(span);
      }
      return li;
    }));
    const st = h.stats;
    $("bus").textContent = `${h.bus} · ${h.connected ? "connected" : "DOWN"} · ${st.frames_rx} frames in, ` +
      `${st.frames_tx} out · ${st.timeouts} timeouts · ${st.malformed} malformed · ${st.reconnects} reconnects`;
  }

  function drawModel(m) {
    view.model = m;
    const chip = $("model");
    const state = m ? m.state : "off";
    chip.textContent = `model: ${state}${m && m.restarts ? ` (${m.restarts} restarts)` : ""}`;
    chip.dataset.state = { ready: "on", starting: "warn", restarting: "warn", failed: "bad" }[state] || "off";
  }

  // -- the conversation --------------------------------------------------------------------
  const turns = new Map();
  const log = $("log");

  function turnOf(id, ts) {
    let t = turns.get(id);
    if (!t) {
      t = { id, ts, seat: null, text: null, source: null, transcript: null, calls: [], refusals: [], errors: [],
        changes: [], reply: null, ms: null, listening: null, by: null, result: null };
      turns.set(id, t);
    }
    if (ts && (!t.ts || ts < t.ts)) t.ts = ts;
    return t;
  }

  function take(ev, live) {
    if (ev.type === "change") {
      if (live) apply(ev.path, ev.new, true);
      if (!ev.interaction) return null;
    }
    if (!ev.interaction) {
      if (ev.type !== "error") return null;
      const t = turnOf(`system-${ev.ts}`, ev.ts);
      t.system = true;
      t.errors.push(`${ev.code}: ${ev.message}`);
      return t;
    }
    const t = turnOf(ev.interaction, ev.ts);
    switch (ev.type) {
      case "request": t.text = ev.text; t.seat = ev.seat; t.source = ev.source; break;
      case "listening": t.seat = ev.seat; t.source = ev.source; t.listening = ev.state; break;
      case "transcript": t.transcript = ev.text; t.seat = ev.seat; break;
      case "calls": t.calls.push(...ev.calls); t.by = ev.source; break;
      case "refusal": t.refusals.push(ev.reason); break;
      case "change": t.changes.push(ev); break;
      case "error": t.errors.push(`${ev.code}: ${ev.message}`); break;
      case "reply": t.reply = ev.text; break;
      case "done": t.ms = ev.ms; t.seat = ev.seat; t.by = ev.source; t.result = ev.changes || {}; break;
      default: break;
    }
    return t;
  }

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const list = (cls, items) => {
    const ul = el("ul", cls);
    for (const item of items) ul.append(item instanceof Node ? item : el("li", "", item));
    return ul;
  };
  const ms = (v) => v < 10 ? `${v.toFixed(1)} ms` : v < 10000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
  const clock = (ts) => new Date(ts * 1000).toLocaleTimeString([], { hour12: false });
  const call = (c) => `${c.name}(${Object.entries(c.arguments || {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")})`;

  function drawTurn(t) {
    let li = log.querySelector(`li[data-interaction="${CSS.escape(t.id)}"]`);
    if (!li) {
      li = el("li", t.system ? "turn system" : "turn");
      li.dataset.interaction = t.id;
      const later = [...log.children].find((c) => Number(c.dataset.ts) > t.ts);
      log.insertBefore(li, later || null);
    }
    li.dataset.ts = String(t.ts);
    const who = el("div", "who");
    who.append(el("span", "seat-name", t.system ? "assistant" : SEAT_NAMES[t.seat] || "—"));
    const how = [t.listening || t.transcript ? `spoken · ${t.source || "button"}` : t.source ? `typed · ${t.source}` : "",
      t.by ? `by the ${t.by}` : ""].filter(Boolean).join(" · ");
    if (how) who.append(el("span", "src", how));
    const time = el("time", "", clock(t.ts));
    time.dateTime = new Date(t.ts * 1000).toISOString();
    who.append(time);
    const parts = [who];
    const said = t.transcript || t.text;
    if (said) parts.push(el("p", "said", `“${said}”`));
    else if (t.listening === "started") parts.push(el("p", "said unknown", "listening…"));
    else if (!t.system) parts.push(el("p", "said unknown", "typed elsewhere (MQTT or console): the events do not carry its text"));
    if (t.calls.length) parts.push(list("calls", t.calls.map((c) => { const i = el("li"); i.append(el("code", "", call(c))); return i; })));
    if (t.refusals.length) parts.push(list("refusals", t.refusals.map((r) => `refused: ${r}`)));
    const changes = t.changes.filter((c) => !ROUTE.has(c.path))
      .map((c) => `${label(c.path)}: ${shown(c.path, c.old)} → ${shown(c.path, c.new)}`);
    const to = t.changes.find((c) => c.path === NAV + ".Latitude");
    const lon = t.changes.find((c) => c.path === NAV + ".Longitude");
    if (to && typeof to.new === "number" && lon && typeof lon.new === "number") {
      const name = (t.result || {})[NAV + ".Name"];
      changes.push(`destination: ${name ? `${name} ` : ""}(${to.new.toFixed(4)}, ${lon.new.toFixed(4)})`);
    } else if (to) {
      changes.push("destination: none");
    }
    if (changes.length) parts.push(list("changes", changes));
    if (t.errors.length) parts.push(list("errors", t.errors));
    if (t.reply) parts.push(el("p", "reply", t.reply));
    if (t.ms) {
      const stages = ["stt", "understand", "vehicle", "tts", "total"].filter((k) => typeof t.ms[k] === "number");
      parts.push(el("p", "ms", stages.map((k) => `${k} ${ms(t.ms[k])}`).join(" · ")));
    }
    li.replaceChildren(...parts);
  }

  function scrollDown(force) {
    if (force || log.scrollHeight - log.scrollTop - log.clientHeight < 120) log.scrollTop = log.scrollHeight;
  }

  // -- the stream --------------------------------------------------------------------------
  function snapshot(s) {
    view.state = {};
    for (const path of bound.keys()) if (!(path in s.state)) apply(path, null, false);
    for (const [path, value] of Object.entries(s.state)) apply(path, value, false);
    drawRoute();
    drawHealth(s.health);
    drawModel(s.model);
    turns.clear();
    log.replaceChildren();
    for (const r of s.requests) take(r, false);
    for (const ev of s.events) take(ev, false);
    for (const t of [...turns.values()].sort((a, b) => a.ts - b.ts)) drawTurn(t);
    scrollDown(true);
    setupSimulator(s);
    view.snapshots += 1;
    view.ready = true;
    document.body.dataset.ready = "true";
  }

  function live(ev) {
    const received = performance.timeOrigin + performance.now();
    const t = take(ev, true);
    if (ev.type === "done") {
      // a head-unit value set for the first time (the destination's name) comes with no change event
      for (const [path, value] of Object.entries(ev.changes || {})) {
        if (view.state[path] !== value) apply(path, value, true);
      }
    }
    if (t) {
      drawTurn(t);
      scrollDown(false);
    }
    if (ev.type === "change") {
      const applied = performance.timeOrigin + performance.now();
      // the frame that shows it: its callback runs just before that frame is painted
      requestAnimationFrame(() => {
        view.renders.push({ path: ev.path, value: ev.new, ts: ev.ts * 1000, received, applied,
          shown: performance.timeOrigin + performance.now() });
        if (view.renders.length > KEPT_RENDERS) view.renders.splice(0, view.renders.length - KEPT_RENDERS);
      });
    }
  }

  function dispatch(data) {
    switch (data.type) {
      case "snapshot": snapshot(data); break;
      case "health": drawHealth(data.health); break;
      case "model": drawModel(data.model); break;
      default: live(data);
    }
  }

  const link = $("link");
  function connect() {
    const source = new EventSource("/api/events");
    source.onopen = () => { link.textContent = "live"; link.dataset.state = "on"; };
    source.onmessage = (m) => dispatch(JSON.parse(m.data));
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        link.textContent = "refused: check the address and token";
        link.dataset.state = "bad";
        setTimeout(connect, 5000);
      } else {
        link.textContent = "reconnecting…";
        link.dataset.state = "warn";
      }
    };
  }

  // -- inputs ------------------------------------------------------------------------------
  async function post(url, body) {
    try {
      const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body), credentials: "same-origin", cache: "no-store" });
      const data = await r.json().catch(() => ({}));
      return { ok: r.ok, data };
    } catch (err) {
      return { ok: false, data: { message: `not sent: ${err.message}` } };
    }
  }

  function status(id, text, bad) {
    const p = $(id);
    p.textContent = text;
    p.dataset.state = bad ? "bad" : "ok";
  }

  $("ask").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("ask-text");
    const text = input.value.trim();
    if (!text) return;
    const r = await post("/api/request", { text, seat: $("ask-seat").value });
    if (r.ok) {
      input.value = "";
      status("ask-status", "");
    } else {
      status("ask-status", r.data.message || "refused", true);
    }
  });

  $("ptt").addEventListener("click", async () => {
    const r = await post("/api/ptt", { seat: $("ask-seat").value });
    status("ask-status", r.ok ? "listening…" : r.data.message || "refused", !r.ok);
  });

  let simulatorReady = false;
  function setupSimulator(s) {
    const card = $("sim");
    card.hidden = !s.simulator;
    if (!s.simulator || simulatorReady) return;
    simulatorReady = true;
    for (const form of card.querySelectorAll("form[data-sensor]")) {
      const path = form.dataset.sensor;
      const input = form.querySelector("input");
      const lim = s.sensors[path];
      if (lim) {
        input.min = String(lim.minimum);
        input.max = String(lim.maximum);
        input.title = `${lim.minimum} to ${lim.maximum} ${lim.unit}`;
      }
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const r = await post("/api/sensor", { path, value: Number(input.value) });
        status("sim-status", r.ok ? `${label(path)} set to ${input.value}` : r.data.message || "refused", !r.ok);
      });
    }
    const lock = $("sim-lock");
    lock.addEventListener("change", async () => {
      const r = await post("/api/sensor", { path: lock.dataset.sensor, value: lock.checked });
      status("sim-status", r.ok ? `child lock ${lock.checked ? "engaged" : "off"}` : r.data.message || "refused", !r.ok);
    });
  }
  connect();
})();
