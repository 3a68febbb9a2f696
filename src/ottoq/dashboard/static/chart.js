// The utilization chart: share of each resource type at work per step, as an inline SVG.
// Series differ by dash pattern and marker as well as by colour.

import { h, s } from "./dom.js";
import { clockTime } from "./format.js";

const SERIES = [
  { type: "CHARGE_STALL", name: "Charge stalls", color: "#0072b2", dash: null, marker: "circle" },
  { type: "CLEAN_DETAIL_STALL", name: "Clean/detail", color: "#d55e00", dash: "7 4", marker: "square" },
  { type: "MAINTENANCE_BAY", name: "Maintenance bays", color: "#7d4e9f", dash: "2 3", marker: "triangle" },
];
const H = 130;
const PAD = { left: 38, right: 12, top: 10, bottom: 22 };

function marker(kind, x, y, color) {
  if (kind === "square") return s("rect", { x: x - 4, y: y - 4, width: 8, height: 8, fill: color });
  if (kind === "triangle") {
    return s("path", { d: `M${x} ${y - 5}L${x + 5} ${y + 4}H${x - 5}z`, fill: color });
  }
  return s("circle", { cx: x, cy: y, r: 4, fill: color });
}

function share(step, series, capacity) {
  const total = capacity[series.type]?.in_service || 0;
  return total ? Math.min(1, step.busy[series.type] / total) : 0;
}

const HOUR_MS = 3600 * 1000;

// Labels on whole hours (of UTC, which are whole hours of nearly every zone), as many as fit.
function timeTicks(from, to, tz, xAt, W) {
  const fits = Math.max(2, Math.floor((W - PAD.left - PAD.right) / 70));
  const span = Math.max(1, Math.ceil((to - from) / HOUR_MS / fits));
  const ticks = [];
  for (let at = Math.ceil(from / HOUR_MS) * HOUR_MS; at <= to; at += span * HOUR_MS) {
    ticks.push(
      s("line", { class: "axis", x1: xAt(at), x2: xAt(at), y1: H - PAD.bottom, y2: H - PAD.bottom + 4 }),
      s("text", { x: xAt(at), y: H - 6, "text-anchor": "middle" }, clockTime(new Date(at).toISOString(), tz)),
    );
  }
  return ticks;
}

// Drawn at the box's own width, so that its text keeps its size on a phone.
export function drawUtilization(box, legend, note, data, tz) {
  const W = Math.max(280, Math.round(box.clientWidth || 640));
  const steps = data.steps;
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  // Each step is drawn at its end, so the last point is "now".
  const from = new Date(data.since).getTime() + data.step_seconds * 1000;
  const to = new Date(data.now).getTime();
  const xAt = (ms) => PAD.left + (to > from ? ((ms - from) / (to - from)) * innerW : innerW);
  const x = (n) => xAt(from + n * data.step_seconds * 1000);
  const y = (fraction) => PAD.top + (1 - fraction) * innerH;

  const grid = [0, 0.5, 1].map((f) => [
    s("line", { class: "axis", x1: PAD.left, x2: W - PAD.right, y1: y(f), y2: y(f) }),
    s("text", { x: PAD.left - 6, y: y(f) + 4, "text-anchor": "end" }, `${f * 100}%`),
  ]);
  const lines = SERIES.map((series) => {
    const points = steps.map((step, n) => `${x(n).toFixed(1)},${y(share(step, series, data.capacity)).toFixed(1)}`);
    const last = steps.length - 1;
    return s("g", { "data-series": series.type },
      s("polyline", {
        points: points.join(" "), fill: "none", stroke: series.color, "stroke-width": 2.5,
        "stroke-dasharray": series.dash, "stroke-linejoin": "round",
      }),
      last >= 0 ? marker(series.marker, x(last), y(share(steps[last], series, data.capacity)), series.color) : null);
  });

  const summary = describe(data);
  box.replaceChildren(s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary },
    s("title", {}, summary), grid, timeTicks(from, to, tz, xAt, W), lines));
  legend.replaceChildren(...SERIES.map((series) => h("li", {},
    s("svg", { width: 34, height: 12, viewBox: "0 0 34 12", "aria-hidden": "true" },
      s("line", { x1: 1, x2: 33, y1: 6, y2: 6, stroke: series.color, "stroke-width": 2.5, "stroke-dasharray": series.dash }),
      marker(series.marker, 17, 6, series.color)),
    series.name)));
  note.textContent = summary;
}

function describe(data) {
  const last = data.steps[data.steps.length - 1];
  if (!last) return "No data yet.";
  const minutes = Math.round(data.step_seconds / 60);
  const parts = SERIES.map((series) => {
    const total = data.capacity[series.type]?.in_service || 0;
    return `${series.name.toLowerCase()} ${last.busy[series.type].toFixed(1)} of ${total}`;
  });
  return `At work on average over the last ${minutes} minutes: ${parts.join(", ")}.`;
}
