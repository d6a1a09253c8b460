// The operator's page: sign in (OAuth2 password form), then sessions with their state and the
// time to gate closure, the order-book depth, clearing results (the report's price maps, envelopes,
// dispatch) and the party's own view. Plain JS over /api/v1.
"use strict";
const api = "/api/v1";
let token = sessionStorage.getItem("tdcoord-token");
let me = null;
let sessions = [];

async function call(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers["Authorization"] = "Bearer " + token;
  const r = await fetch(api + path, Object.assign({}, options, { headers }));
  if (r.status === 401) { signOut(); throw new Error("signed out"); }
  const body = r.headers.get("content-type", "").includes("json") ? await r.json() : null;
  if (!r.ok) throw new Error((body && body.detail) || r.statusText);
  return body;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function signOut() {
  token = null;
  sessionStorage.removeItem("tdcoord-token");
  document.getElementById("dashboard").hidden = true;
  document.getElementById("login-view").hidden = false;
  document.getElementById("who").textContent = "";
}

async function signIn(ev) {
  ev.preventDefault();
  const form = new URLSearchParams();
  form.set("username", document.getElementById("username").value);
  form.set("password", document.getElementById("password").value);
  const r = await fetch(api + "/auth/token", { method: "POST", body: form });
  const body = await r.json();
  if (!r.ok) {
    document.getElementById("login-error").textContent = body.detail || "sign-in failed";
    return;
  }
  token = body.access_token;
  sessionStorage.setItem("tdcoord-token", token);
  await showDashboard();
}

function countdown(s) {
  if (s.state !== "open" && s.state !== "scheduled") return "—";
  const left = Math.max(0, (Date.parse(s.gate_close) - Date.now()) / 1000);
  const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), sec = Math.floor(left % 60);
  return `${h}h ${String(m).padStart(2, "0")}m ${String(sec).padStart(2, "0")}s`;
}

function renderSessions(markets) {
  const body = document.querySelector("#sessions tbody");
  body.replaceChildren();
  for (const s of sessions) {
    const tr = el("tr");
    tr.dataset.session = s.id;
    tr.append(el("td", "#" + s.id), el("td", markets[s.market_id] || s.market_id),
              el("td", s.delivery_day), el("td", s.stage));
    const st = el("td"); st.append(el("span", s.state, "state state-" + s.state)); tr.append(st);
    tr.append(el("td", countdown(s), "countdown"));
    const td = el("td"); const b = el("button", "Open"); b.className = "open-session";
    b.onclick = () => showSession(s); td.append(b); tr.append(td);
    body.append(tr);
  }
}

async function loadSessions() {
  const markets = {};
  sessions = [];
  for (const m of await call("/markets")) {
    markets[m.id] = m.name;
    sessions.push(...await call(`/markets/${m.id}/sessions`));
  }
  renderSessions(markets);
  return markets;
}

async function renderMine() {
  const ul = document.getElementById("mine");
  ul.replaceChildren();
  const [ders, portfolios, statements] = await Promise.all(
    [call("/ders"), call("/portfolios"), call("/settlements")]);
  ul.append(el("li", `${ders.length} DERs visible to you`),
            el("li", `${portfolios.length} portfolios`),
            el("li", `${statements.length} settlement statements`));
}

async function action(label, path) {
  const b = el("button", label);
  b.onclick = async () => {
    try { await call(path, { method: "POST", headers: { "Idempotency-Key": crypto.randomUUID() } }); }
    catch (e) { alert(e.message); }
    await loadSessions();
  };
  return b;
}

async function showSession(s) {
  document.getElementById("detail").hidden = false;
  document.getElementById("detail-title").textContent =
    `Session #${s.id} — ${s.delivery_day} ${s.stage} (${s.state})`;
  const actions = document.getElementById("detail-actions");
  actions.replaceChildren();
  if (me.role === "market_operator" || me.role === "admin") {
    if (s.state === "open" || s.state === "scheduled")
      actions.append(await action("Close gate now", `/sessions/${s.id}/close`));
    if (s.state === "closed" || s.state === "failed")
      actions.append(await action("Run clearing", `/sessions/${s.id}/clearing`));
    if (s.state === "cleared") actions.append(await action("Publish", `/sessions/${s.id}/publish`));
  }
  const depth = await call(`/sessions/${s.id}/figures/depth`);
  Plotly.react("depth-figure", depth.data, depth.layout, { displayModeBar: false });
  const note = document.getElementById("results-note");
  const cleared = ["cleared", "published", "settled"].includes(s.state);
  note.textContent = cleared ? "" : "Results appear once the session is cleared.";
  document.querySelector("#envelopes tbody").replaceChildren();
  document.querySelector("#dispatch tbody").replaceChildren();
  if (!cleared) { Plotly.purge("price-figure"); Plotly.purge("lmp-figure"); return; }
  // the report's network price maps (DLMPs on feeder nodes, LMPs on transmission buses)
  const dlmp = await call(`/sessions/${s.id}/figures/prices?kind=dlmp`);
  Plotly.react("price-figure", dlmp.data, dlmp.layout, { displayModeBar: false });
  const lmp = await call(`/sessions/${s.id}/figures/prices?kind=lmp`);
  Plotly.react("lmp-figure", lmp.data, lmp.layout, { displayModeBar: false });
  for (const e of await call(`/sessions/${s.id}/envelopes`)) {
    const tr = el("tr");
    tr.append(el("td", e.der), el("td", Math.min(...e.import_mw).toFixed(3)),
              el("td", Math.min(...e.export_mw).toFixed(3)));
    document.querySelector("#envelopes tbody").append(tr);
  }
  const all = await call(`/sessions/${s.id}/dispatch`);
  const moved = all.filter((d) => d.mw.some((x) => Math.abs(x) > 1e-9));
  for (const d of moved.slice(0, 50)) {
    const tr = el("tr");
    tr.append(el("td", d.der), el("td", d.mw.reduce((a, b) => a + b, 0).toFixed(3)));
    document.querySelector("#dispatch tbody").append(tr);
  }
  note.textContent = `${moved.length} of ${all.length} DERs dispatched` +
    (moved.length > 50 ? " (first 50 shown)" : "") + ".";
}

async function showDashboard() {
  me = await call("/me");
  document.getElementById("login-view").hidden = true;
  document.getElementById("dashboard").hidden = false;
  const who = document.getElementById("who");
  who.textContent = `${me.username} · ${me.party} (${me.role})`;
  const out = el("button", "Sign out"); out.onclick = signOut; who.append(out);
  await loadSessions();
  await renderMine();
}

document.getElementById("login-form").addEventListener("submit", signIn);
setInterval(() => {
  document.querySelectorAll("#sessions tbody tr").forEach((tr, i) => {
    if (sessions[i]) tr.querySelector(".countdown").textContent = countdown(sessions[i]);
  });
}, 1000);
if (token) showDashboard().catch(signOut);
