// The depot grid: 40 charge stalls, 10 clean/detail stalls and 2 maintenance bays. Cells are
// built once per depot and then updated in place, so a refresh never flickers or loses focus.

import { byId, h } from "./dom.js";
import { STATUS_WORD, resourceName } from "./format.js";
import { statusIcon } from "./icons.js";

const CONTAINER = {
  CHARGE_STALL: "grid-charge",
  CLEAN_DETAIL_STALL: "grid-detail",
  MAINTENANCE_BAY: "grid-bays",
};
// The contract's labels join their parts with " — "; each part gets a line of its own.
const SEP = " \u2014 ";

function labelNode(label) {
  const node = h("span", { class: "cell-label" });
  label.split(SEP).forEach((part, n) => {
    if (n > 0) node.append(h("span", { class: "sep" }, SEP));
    node.append(h("span", { class: `part part-${n}` }, part));
  });
  return node;
}

function showsJob(cell) {
  return cell.status === "BUSY" || cell.status === "RESERVED";
}

export class Grid {
  constructor(onPickVehicle) {
    this.onPickVehicle = onPickVehicle;
    this.depotId = null;
    this.nodes = new Map();
    this.shown = new Map();
  }

  // The resources of one ottoq-depots-resources answer; a new depot rebuilds the cells.
  render(depotId, resources) {
    const ids = resources.map((r) => r.id).join(",");
    if (depotId !== this.depotId || ids !== this.ids) this.build(depotId, resources, ids);
    for (const cell of resources) this.update(cell);
  }

  build(depotId, resources, ids) {
    this.depotId = depotId;
    this.ids = ids;
    this.nodes.clear();
    this.shown.clear();
    for (const id of Object.values(CONTAINER)) byId(id).replaceChildren();
    for (const cell of resources) {
      const node = h("li", {
        class: "cell",
        dataset: { resourceId: cell.id, type: cell.type, index: cell.index },
      });
      node.addEventListener("click", () => this.pick(node));
      node.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          this.pick(node);
        }
      });
      byId(CONTAINER[cell.type])?.append(node);
      this.nodes.set(cell.id, node);
    }
  }

  update(cell) {
    const node = this.nodes.get(cell.id);
    const key = `${cell.status}|${cell.label}|${cell.vehicle_id}`;
    if (!node || this.shown.get(cell.id) === key) return;
    const before = this.shown.get(cell.id);
    this.shown.set(cell.id, key);

    const name = resourceName(cell.type, cell.index);
    const word = STATUS_WORD[cell.status] || cell.status;
    node.dataset.status = cell.status;
    node.dataset.job = showsJob(cell) ? "yes" : "no";
    // Only cells that open a vehicle card take keyboard focus.
    node.tabIndex = showsJob(cell) ? 0 : -1;
    node.dataset.vehicleId = cell.vehicle_id || "";
    node.setAttribute("aria-label", `${name}, ${word}: ${cell.label}`);
    node.title = `${name} · ${word}\n${cell.label}`;
    const state = h("span", { class: "cell-state" }, statusIcon(cell.status));
    const head = h("span", { class: "cell-head" }, h("span", { class: "cell-no" }, cell.index), state);
    // Free and closed cells say so in their label; the others get the status word too.
    const status = h("span", { class: "state-text" }, word);
    node.replaceChildren(...(showsJob(cell) ? [head, status] : [head]), labelNode(cell.label));
    if (before !== undefined && before.split("|")[0] !== cell.status) {
      node.classList.remove("changed");
      void node.offsetWidth; // restart the highlight animation
      node.classList.add("changed");
    }
  }

  pick(node) {
    if (node.dataset.vehicleId) this.onPickVehicle(node.dataset.vehicleId);
  }
}

export function countByStatus(resources) {
  const counts = { AVAILABLE: 0, RESERVED: 0, BUSY: 0, OUT_OF_SERVICE: 0 };
  for (const r of resources) counts[r.status] = (counts[r.status] || 0) + 1;
  return counts;
}

export function renderLegend(resources) {
  const counts = countByStatus(resources);
  byId("legend").replaceChildren(
    ...Object.entries(counts).map(([status, count]) =>
      h("li", { dataset: { status } },
        h("span", { class: "swatch", dataset: { status } }, statusIcon(status)),
        `${STATUS_WORD[status]} `, h("strong", { class: "count" }, count))),
  );
}
