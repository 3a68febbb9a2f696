// The dashboard's wiring: what is selected, what to fetch when, and what the header says.
// First load: config and role together, then grid, queue, events and chart together; a depot
// costs four requests however busy it is.

import { ApiError, F, api, storeKey, storedKey } from "./api.js";
import { drawUtilization } from "./chart.js";
import { byId, h } from "./dom.js";
import { clockTime, zoneName } from "./format.js";
import { Grid, renderLegend } from "./grid.js";
import { LiveLink, Refresher } from "./live.js";
import * as panels from "./panels.js";

const query = new URLSearchParams(location.search);
// How often the grid is polled while the realtime stream is down (`?poll=ms` overrides).
const POLL_MS = Math.max(500, Number(query.get("poll")) || 3000);
// While live, a slow poll still moves the "20m left" labels on when nothing else changes.
const LIVE_POLL_MS = 30000;
const SIDE_LIVE_POLL_MS = 10000;
const CHART_POLL_MS = 60000;
const CONFIG_POLL_MS = 15000;
const CHART = { hours: 6, stepMinutes: 10 };
const EVENTS_FETCHED = 200;
const EVENTS_SHOWN = 30;

const state = {
  config: null,
  cityId: null,
  depotId: null,
  tz: "UTC",
  now: null,
  role: null,
  names: new Map(),
  vehicleRef: null,
  live: false,
  reachable: true,
  needKey: false,
  chart: null,
};

const grid = new Grid((vehicleId) => showVehicle(vehicleId));
const gridRefresh = new Refresher(loadGrid, 150);
const sideRefresh = new Refresher(loadSide, 500);
const chartRefresh = new Refresher(loadChart, 1000);
const configRefresh = new Refresher(loadConfig, 300);
const live = new LiveLink({
  onChange: ({ catchUp }) => {
    gridRefresh.request();
    sideRefresh.request();
    if (catchUp) chartRefresh.request();
  },
  onStatus: (status) => {
    state.live = status === "live";
    schedule();
    showConnection();
  },
});

function schedule() {
  gridRefresh.every(state.live ? LIVE_POLL_MS : POLL_MS);
  // Pending jobs touch no stall, so the depot's stream does not announce them: poll the queue.
  sideRefresh.every(state.live ? SIDE_LIVE_POLL_MS : POLL_MS * 2);
  chartRefresh.every(CHART_POLL_MS);
  configRefresh.every(CONFIG_POLL_MS);
}

// --- header: connection, role, banner -------------------------------------------------------

function showConnection() {
  const conn = byId("conn");
  let mode = "polling";
  let text = `Disconnected · reconnecting (polling every ${POLL_MS / 1000}s)`;
  if (state.needKey) {
    mode = "locked";
    text = "Locked · an API key is needed";
  } else if (!state.reachable) {
    mode = "offline";
    text = "Offline · server unreachable, retrying";
  } else if (state.live) {
    mode = "live";
    text = "Live";
  }
  conn.dataset.state = mode;
  conn.querySelector(".conn-text").textContent = text;
}

function reachable(yes) {
  if (state.reachable === yes) return;
  state.reachable = yes;
  showConnection();
  // Back from an outage: fetch everything again rather than trust what is on screen.
  if (yes) refreshAll();
}

function showRole() {
  const badge = byId("role-badge");
  const keyed = Boolean(storedKey());
  badge.dataset.role = state.role || "none";
  badge.textContent = !state.role ? "No key" : state.role === "service"
    ? (keyed ? "Service key" : "Local · service") : "Anon key";
  byId("sim-panel").hidden = state.role !== "service";
}

function needKey(yes) {
  if (state.needKey === yes) return;
  state.needKey = yes;
  showConnection();
}

function banner(message) {
  const node = byId("banner");
  node.hidden = !message;
  node.textContent = message || "";
}

function failed(err, what) {
  if (!(err instanceof ApiError)) throw err;
  if (err.status === 0) return reachable(false);
  reachable(true);
  if (err.status === 401) {
    needKey(true);
    banner("This OTTO-Q needs an API key: enter the anon or service key under “No key” at the top right.");
    byId("key-box").open = true;
    byId("key-hint").textContent = storedKey() ? "That key was refused. Try another one." : byId("key-hint").textContent;
    return;
  }
  banner(`Could not load the ${what}: ${err.message} (HTTP ${err.status}).`);
}

// --- loading ----------------------------------------------------------------------------------

async function loadRole() {
  try {
    state.role = (await api(`${F}/ottoq-whoami`)).role;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) failed(err, "role");
    state.role = null;
  }
  showRole();
}

async function loadConfig() {
  try {
    state.config = await api(`${F}/ottoq-config`);
  } catch (err) {
    return failed(err, "configuration");
  }
  reachable(true);
  needKey(false);
  fillCities();
  panels.renderSimulator(state.config.simulator, state.tz, state.now || state.config.clock?.now);
  byId("version").textContent = `OTTO-Q ${state.config.version}`;
}

async function loadGrid() {
  const depotId = state.depotId;
  if (!depotId) return;
  let data;
  try {
    data = await api(`${F}/ottoq-depots-resources/${depotId}`);
  } catch (err) {
    return failed(err, "depot grid");
  }
  if (depotId !== state.depotId) return;
  reachable(true);
  needKey(false);
  banner("");
  state.now = data.now;
  state.names = panels.resourceNames(data.resources);
  grid.render(depotId, data.resources);
  renderLegend(data.resources);
  byId("depot-name").textContent = data.depot_name;
  byId("depot-address").textContent = [data.address, data.city].filter(Boolean).join(" · ");
  byId("branding").textContent = data.branding;
  byId("server-time").textContent = `${clockTime(data.now, state.tz)} ${zoneName(state.tz, data.now)}`;
  document.title = `${data.depot_name} · OTTO-Q`;
}

async function loadQueue() {
  const depotId = state.depotId;
  try {
    const data = await api(`${F}/ottoq-depots-queue/${depotId}?limit=50`);
    if (depotId === state.depotId) panels.renderQueue(data, state.tz, data.now, showVehicle);
  } catch (err) {
    failed(err, "queue");
  }
}

function ofThisDepot(event) {
  const payload = event.payload_jsonb || {};
  return payload.depot_id === state.depotId || state.names.has(event.entity_id);
}

async function loadEvents() {
  try {
    const data = await api(`${F}/ottoq-events?limit=${EVENTS_FETCHED}`);
    const mine = byId("events-mine").checked;
    const events = data.events.filter((e) => !mine || ofThisDepot(e)).slice(0, EVENTS_SHOWN);
    panels.renderEvents(events, state.tz, state.names);
  } catch (err) {
    failed(err, "events");
  }
}

async function loadChart() {
  const depotId = state.depotId;
  if (!depotId) return;
  try {
    const path = `${F}/ottoq-depots-utilization/${depotId}`;
    const data = await api(`${path}?hours=${CHART.hours}&step_minutes=${CHART.stepMinutes}`);
    if (depotId !== state.depotId) return;
    state.chart = data;
    byId("chart-hours").textContent = CHART.hours;
    drawChart();
  } catch (err) {
    failed(err, "utilization chart");
  }
}

function drawChart() {
  if (state.chart) drawUtilization(byId("chart"), byId("chart-legend"), byId("chart-note"), state.chart, state.tz);
}

async function loadVehicle(ref, { quiet = false } = {}) {
  if (!quiet) panels.renderVehicleMessage("loading", `Looking for ${ref}…`);
  try {
    const data = await api(`${F}/ottoq-vehicles-status/${encodeURIComponent(ref)}`);
    if (ref !== state.vehicleRef) return;
    panels.renderVehicle(data, state.tz, state.now);
    byId("vehicle-input").value = data.vehicle.external_ref;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      panels.renderVehicleMessage("missing", `No vehicle is called “${ref}”.`);
    } else if (err instanceof ApiError && err.status !== 0) {
      panels.renderVehicleMessage("missing", `Could not load ${ref}: ${err.message}`);
    } else {
      failed(err, "vehicle");
    }
  }
}

async function loadSide() {
  if (!state.depotId) return;
  const vehicle = state.vehicleRef ? loadVehicle(state.vehicleRef, { quiet: true }) : null;
  await Promise.all([loadQueue(), loadEvents(), vehicle]);
}

function refreshAll() {
  gridRefresh.request();
  sideRefresh.request();
  chartRefresh.request();
  configRefresh.request();
}

// --- selection --------------------------------------------------------------------------------

function option(value, text) {
  return h("option", { value }, text);
}

function cityOf(depotId) {
  return state.config.cities.find((c) => c.depots.some((d) => d.id === depotId));
}

function fillCities() {
  const select = byId("city");
  const ids = state.config.cities.map((c) => c.id).join();
  if (select.dataset.ids !== ids) {
    select.dataset.ids = ids;
    select.replaceChildren(...state.config.cities.map((c) => option(c.id, c.name)));
  }
  if (state.cityId) select.value = state.cityId;
}

function fillDepots(city) {
  byId("depot").replaceChildren(...city.depots.map((d) => option(d.id, d.name)));
}

function selectDepot(depotId, { remember = true } = {}) {
  const city = cityOf(depotId);
  if (!city) return;
  state.cityId = city.id;
  state.depotId = depotId;
  state.tz = city.tz;
  byId("city").value = city.id;
  fillDepots(city);
  byId("depot").value = depotId;
  if (remember) history.replaceState(null, "", `${location.pathname}${location.search}#depot=${depotId}`);
  live.connect(depotId, storedKey());
  schedule();
  // The event feed names stalls from the grid, so the grid comes first; the chart runs alongside.
  gridRefresh.run().then(() => sideRefresh.run());
  chartRefresh.run();
}

function depotFromHash() {
  return new URLSearchParams(location.hash.slice(1)).get("depot");
}

async function boot() {
  await Promise.all([loadRole(), loadConfig()]);
  if (!state.config) {
    // The server is down or still starting: try again; a missing key waits for the user.
    if (!state.needKey) setTimeout(boot, POLL_MS * 2);
    return;
  }
  const wanted = depotFromHash();
  const first = state.config.cities[0]?.depots[0]?.id;
  if (wanted && cityOf(wanted)) selectDepot(wanted, { remember: false });
  else if (first) selectDepot(first);
  else banner("This OTTO-Q has no depots yet: run `ottoq seed`.");
}

// --- user actions -----------------------------------------------------------------------------

function showVehicle(ref) {
  state.vehicleRef = ref;
  loadVehicle(ref);
}

async function simulator(action) {
  const buttons = document.querySelectorAll("[data-sim]");
  const message = byId("sim-message");
  buttons.forEach((b) => { b.disabled = true; });
  message.className = "small";
  message.textContent = `${action}…`;
  try {
    const data = await api(`${F}/ottoq-simulator`, { method: "POST", body: { action } });
    message.textContent = data?.message || `${action}: done`;
    message.dataset.outcome = "ok";
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    message.className = "small error";
    message.dataset.outcome = "error";
    message.textContent = err.status === 404
      ? "The simulator is not available on this server (HTTP 404)."
      : `Could not ${action} the simulator: ${err.message} (HTTP ${err.status}).`;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
  await loadConfig();
  refreshAll();
}

function wire() {
  byId("city").addEventListener("change", (event) => {
    const city = state.config.cities.find((c) => c.id === event.target.value);
    if (city?.depots[0]) selectDepot(city.depots[0].id);
  });
  byId("depot").addEventListener("change", (event) => selectDepot(event.target.value));
  byId("vehicle-search").addEventListener("submit", (event) => {
    event.preventDefault();
    const ref = byId("vehicle-input").value.trim();
    if (ref) showVehicle(ref);
  });
  byId("events-mine").addEventListener("change", () => loadEvents());
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(drawChart, 200);
  });
  document.querySelectorAll("[data-sim]").forEach((button) => {
    button.addEventListener("click", () => simulator(button.dataset.sim));
  });
  byId("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    storeKey(byId("key-input").value.trim());
    byId("key-input").value = "";
    byId("key-box").open = false;
    banner("");
    boot();
  });
  byId("key-forget").addEventListener("click", () => {
    storeKey("");
    byId("key-box").open = false;
    boot();
  });
}

wire();
showConnection();
boot();
