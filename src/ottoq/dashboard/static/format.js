// Words and times as a person reads them. Relative times count from the server's clock, which
// may run apart from this browser's (a replay or a test moves it).

export const STATUS_WORD = {
  AVAILABLE: "Available",
  RESERVED: "Reserved",
  BUSY: "Busy",
  OUT_OF_SERVICE: "Out of service",
};

export const JOB_WORD = { CHARGE: "Charge", DETAILING: "Detailing", MAINTENANCE: "Maintenance" };

const formats = new Map();

function formatter(tz, withDay) {
  const key = `${tz}|${withDay}`;
  if (!formats.has(key)) {
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz };
    if (withDay) Object.assign(options, { weekday: "short" });
    formats.set(key, new Intl.DateTimeFormat("en-GB", options));
  }
  return formats.get(key);
}

export function clockTime(iso, tz, nowIso) {
  if (!iso) return "";
  const at = new Date(iso);
  const otherDay = nowIso && Math.abs(at - new Date(nowIso)) > 20 * 3600 * 1000;
  return formatter(tz || "UTC", otherDay).format(at);
}

export function zoneName(tz, iso) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: tz || "UTC", timeZoneName: "short" })
    .formatToParts(new Date(iso));
  return parts.find((p) => p.type === "timeZoneName")?.value || tz;
}

export function duration(seconds) {
  const minutes = Math.max(0, Math.ceil(seconds / 60));
  const hours = Math.floor(minutes / 60);
  return hours ? `${hours}h ${minutes % 60}m` : `${minutes}m`;
}

export function relative(iso, nowIso) {
  if (!iso || !nowIso) return "";
  const seconds = (new Date(iso) - new Date(nowIso)) / 1000;
  if (Math.abs(seconds) < 60) return "now";
  return seconds > 0 ? `in ${duration(seconds)}` : `${duration(-seconds)} ago`;
}

export function percent(fraction) {
  return fraction === null || fraction === undefined ? "—" : `${Math.round(fraction * 100)}%`;
}

export function resourceName(type, index) {
  return type === "MAINTENANCE_BAY" ? `Bay ${index}` : `Stall ${index}`;
}
