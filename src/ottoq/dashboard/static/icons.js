// Small status icons drawn as SVG, so they look the same whatever fonts the machine has.

import { s } from "./dom.js";

const DRAW = {
  // A hollow ring: nothing here.
  AVAILABLE: () => [s("circle", { cx: 8, cy: 8, r: 5.5, fill: "none", stroke: "currentColor", "stroke-width": 2 })],
  // A clock face: booked, about to start.
  RESERVED: () => [
    s("circle", { cx: 8, cy: 8, r: 6, fill: "none", stroke: "currentColor", "stroke-width": 1.8 }),
    s("path", { d: "M8 4.5V8l2.6 1.8", fill: "none", stroke: "currentColor", "stroke-width": 1.8, "stroke-linecap": "round" }),
  ],
  // A lightning bolt on a disc: at work.
  BUSY: () => [
    s("circle", { cx: 8, cy: 8, r: 7, fill: "currentColor" }),
    s("path", { d: "M9 3 5 9h3l-1 4 4-6H8z", fill: "#0072b2" }),
  ],
  // A cross: out of service.
  OUT_OF_SERVICE: () => [
    s("path", { d: "M3.5 3.5l9 9M12.5 3.5l-9 9", stroke: "currentColor", "stroke-width": 2.2, "stroke-linecap": "round" }),
  ],
};

export function statusIcon(status) {
  return s("svg", { class: "icon", viewBox: "0 0 16 16", "aria-hidden": "true", focusable: "false" },
    (DRAW[status] || DRAW.AVAILABLE)());
}
