// The side panels: vehicle card, queue, event feed and simulator. Each takes an API answer and
// the server's "now", and draws itself from scratch (they are small).

import { byId, h } from "./dom.js";
import { JOB_WORD, clockTime, duration, percent, relative, resourceName } from "./format.js";

const QUEUE_ROWS = 12;

function when(iso, tz, now) {
  if (!iso) return "—";
  return `${clockTime(iso, tz, now)} (${relative(iso, now)})`;
}

function socNode(soc) {
  if (soc === null || soc === undefined) return "unknown";
  const fill = h("span", { class: `soc-fill${soc <= 0.2 ? " low" : ""}` });
  fill.style.width = `${Math.round(soc * 100)}%`;
  return h("span", { class: "soc" }, h("strong", {}, percent(soc)),
    h("span", { class: "soc-bar", role: "presentation" }, fill));
}

function assignmentRows(a, tz, now) {
  if (!a) return [["Assignment", "none: nothing planned at a depot"]];
  const rows = [
    ["Job", `${JOB_WORD[a.job_type] || a.job_type} · ${a.state}`],
    ["Depot", a.depot?.name || "—"],
    ["Stall / bay", a.resource ? a.resource.label : "not assigned yet"],
  ];
  if (a.state === "ACTIVE") {
    rows.push(["ETA", `done ${when(a.completion_at, tz, now)}`]);
  } else if (a.state === "SCHEDULED") {
    rows.push(["ETA", `starts ${when(a.scheduled_start_at, tz, now)}`]);
    if (a.eta_seconds) rows.push(["Takes", duration(a.eta_seconds)]);
  } else {
    rows.push(["Queue", `#${a.queue_position}`]);
    rows.push(["ETA", a.predicted_start_at ? `about ${when(a.predicted_start_at, tz, now)}` : "no resource in service"]);
  }
  return rows;
}

export function renderVehicle(data, tz, now) {
  const v = data.vehicle;
  const rows = [
    ["State of charge", socNode(v.soc)],
    ["Status", v.status],
    ["City", v.city],
    ...assignmentRows(data.assignment, tz, now),
  ];
  if (v.last_telemetry_at) rows.push(["Last report", when(v.last_telemetry_at, tz, now)]);
  const card = byId("vehicle-card");
  card.dataset.state = "found";
  card.replaceChildren(
    h("h3", { class: "vehicle-name" }, v.external_ref),
    h("p", { class: "muted small" }, [v.oem, v.plate].filter(Boolean).join(" · ")),
    h("dl", {}, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
  );
}

export function renderVehicleMessage(state, message) {
  const card = byId("vehicle-card");
  card.dataset.state = state;
  card.replaceChildren(h("p", { class: state === "missing" ? "error" : "muted small" }, message));
}

export function renderQueue(data, tz, now, onPick) {
  const lengths = data.queue_lengths;
  byId("queue-counts").textContent = Object.entries(lengths)
    .map(([type, count]) => `${JOB_WORD[type]} ${count}`).join(" · ");
  const box = byId("queue");
  if (!data.jobs.length) {
    box.replaceChildren(h("p", { class: "muted small" }, "No job is waiting: every request has a window."));
    return;
  }
  const total = Object.values(lengths).reduce((a, b) => a + b, 0);
  const shown = [...data.jobs]
    .sort((a, b) => (a.predicted_start_at || "9").localeCompare(b.predicted_start_at || "9"))
    .slice(0, QUEUE_ROWS);
  const rows = shown.map((job) => {
    const who = h("button", { type: "button", class: "quiet link", "data-vehicle": job.vehicle_id }, job.external_ref);
    who.addEventListener("click", () => onPick(job.vehicle_id));
    return h("tr", { dataset: { jobId: job.job_id } },
      h("td", { class: "num" }, `#${job.queue_position}`),
      h("td", { class: "who" }, who),
      h("td", {}, job.task || JOB_WORD[job.job_type]),
      h("td", { class: "num" }, percent(job.soc)),
      h("td", { class: "num" }, job.predicted_start_at ? when(job.predicted_start_at, tz, now) : "no resource"));
  });
  const more = total > shown.length ? h("p", { class: "muted small" }, `and ${total - shown.length} more waiting`) : "";
  box.replaceChildren(
    h("table", {},
      h("thead", {}, h("tr", {}, ["#", "Vehicle", "Job", "SoC", "Predicted start"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)),
    more,
  );
}

function eventSummary(event, names) {
  const p = event.payload_jsonb || {};
  const place = names.get(event.entity_id) || names.get(p.resource_id);
  if (event.entity_type === "RESOURCE") return `${place || "resource"}: ${p.from} → ${p.to}`;
  if (event.entity_type === "JOB") {
    const move = p.from ? `${p.from} → ${p.to}` : p.to;
    return [JOB_WORD[p.job_type] || "job", move, place].filter(Boolean).join(" · ");
  }
  if (event.event_type === "VEHICLE_TELEMETRY" && p.reading?.soc !== undefined && p.reading?.soc !== null) {
    return `state of charge ${percent(p.reading.soc)}`;
  }
  return event.entity_type.toLowerCase();
}

export function renderEvents(events, tz, names) {
  const items = events.map((event) => h("li", { dataset: { eventId: event.id, type: event.event_type } },
    h("time", { datetime: event.created_at }, clockTime(event.created_at, tz)),
    h("span", { class: "etype" }, event.event_type),
    h("span", { class: "what" }, eventSummary(event, names))));
  byId("events").replaceChildren(...(items.length ? items : [h("li", { class: "muted empty" }, "No events yet.")]));
}

export function renderSimulator(sim, tz, now) {
  const state = byId("sim-state");
  if (!sim) {
    state.textContent = "State unknown.";
    return;
  }
  const word = sim.is_running ? h("span", { class: "running" }, "▶ Running") : h("strong", {}, "■ Stopped");
  const reset = sim.last_reset_at ? ` · last reset ${when(sim.last_reset_at, tz, now)}` : "";
  state.replaceChildren(word, ` · mode ${sim.mode || "—"}${reset}`);
  state.dataset.running = sim.is_running ? "yes" : "no";
}

export function resourceNames(resources) {
  return new Map(resources.map((r) => [r.id, resourceName(r.type, r.index)]));
}
