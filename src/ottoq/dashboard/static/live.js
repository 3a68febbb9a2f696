// Live updates of a depot. While the realtime stream is up, any message on the depot's channel
// means "this depot changed" (the payload is not read); while it is down, the page polls and
// keeps trying to reconnect, and refetches everything once the stream is back.

// The one place that knows how the realtime service is reached: change it here if it moves.
// The stream names each SSE event after its event type, and EventSource has no wildcard, so
// `events` lists the contract's types; unnamed events arrive as "message".
export function depotStream(depotId, key) {
  const query = new URLSearchParams({ channel: `realtime:depots:${depotId}` });
  if (key) query.set("apikey", key);
  return {
    url: `/realtime/v1/sse?${query}`,
    events: [
      "message",
      "RESOURCE_STATUS_CHANGED",
      "JOB_CREATED",
      "JOB_SCHEDULED",
      "JOB_ACTIVE",
      "JOB_COMPLETED",
      "JOB_CANCELLED",
      "JOB_EXPIRED",
      "VEHICLE_ARRIVED",
      "VEHICLE_DEPARTED",
      "SIMULATOR_RESET",
    ],
  };
}

const FIRST_RETRY_MS = 2000;
const LONGEST_RETRY_MS = 30000;

export class LiveLink {
  // onChange({catchUp}) asks for a refetch; onStatus("live" | "down") reports the stream.
  constructor({ onChange, onStatus }) {
    this.onChange = onChange;
    this.onStatus = onStatus;
    this.source = null;
    this.timer = null;
    this.failures = 0;
  }

  connect(depotId, key) {
    this.close();
    this.target = { depotId, key };
    this.failures = 0;
    this.open();
  }

  open() {
    if (typeof EventSource === "undefined") return this.onStatus("down");
    const { url, events } = depotStream(this.target.depotId, this.target.key);
    const source = new EventSource(url);
    this.source = source;
    const changed = () => this.onChange({ catchUp: false });
    for (const name of events) source.addEventListener(name, changed);
    source.onopen = () => {
      this.failures = 0;
      this.onStatus("live");
      this.onChange({ catchUp: true });
    };
    source.onerror = () => {
      // An "error" event the server sent while the stream is still open: the drop follows.
      if (source.readyState === EventSource.OPEN) return;
      this.onStatus("down");
      // CONNECTING: the browser retries by itself. CLOSED: it gave up (404, 401, not a stream).
      if (source.readyState === EventSource.CLOSED && this.source === source) this.retryLater();
    };
  }

  retryLater() {
    this.source = null;
    const wait = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures);
    this.failures += 1;
    this.timer = setTimeout(() => this.open(), wait);
  }

  close() {
    clearTimeout(this.timer);
    if (this.source) this.source.close();
    this.source = null;
  }
}

// Runs a refresh at most once at a time; requests made meanwhile collapse into one more run.
export class Refresher {
  constructor(task, debounceMs = 150) {
    this.task = task;
    this.debounceMs = debounceMs;
    this.timer = null;
    this.interval = null;
    this.running = false;
    this.again = false;
  }

  request() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, this.debounceMs);
  }

  async run() {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      await this.task();
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.request();
      }
    }
  }

  every(ms) {
    if (ms === this.period) return;
    this.period = ms;
    clearInterval(this.interval);
    this.interval = ms ? setInterval(() => this.request(), ms) : null;
  }
}
