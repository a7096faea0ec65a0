import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "../store/database.js";
import type { OutboxBacklog } from "../store/event-outbox.js";
import type { SweepCounts } from "../store/sweeps.js";

/** What the events relay reports (src/events/). */
export interface EventMetrics {
  observePublished(count: number): void;
  /** Publishes that failed and will be retried. */
  observeFailed(count: number): void;
  /** Events given up: the outbox was full, the topic stayed missing, or the profile's topic is no topic name. */
  observeDropped(reason: "outbox_full" | "missing_topic" | "invalid_topic", count: number): void;
  observeBacklog(backlog: OutboxBacklog): void;
}

/** The service's Prometheus metrics, in a registry of their own (one per server). */
export interface Metrics {
  readonly registry: Registry;
  observeRpc(service: string, method: string, code: string, seconds: number): void;
  observeSweep(counts: SweepCounts): void;
  readonly events: EventMetrics;
}

export function createMetrics(database: Database): Metrics {
  const registry = new Registry();
  const rpcs = new Counter({
    name: "rpc_requests_total",
    help: "RPCs served, by service, method and status code.",
    labelNames: ["service", "method", "code"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "rpc_duration_seconds",
    help: "Time to serve an RPC, by service and method.",
    labelNames: ["service", "method"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const swept = new Counter({
    name: "sweep_conversations_total",
    help: "What the background sweep did: conversations completed (kind=completed) or deleted (kind=purged), messages deleted with them (kind=purged_messages).",
    labelNames: ["kind"],
    registers: [registry],
  });
  new Gauge({
    name: "db_pool_connections",
    help: "Database pool connections, by state (total, idle, waiting clients).",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const stats = database.poolStats?.();
      if (stats === undefined) return;
      this.set({ state: "total" }, stats.total);
      this.set({ state: "idle" }, stats.idle);
      this.set({ state: "waiting" }, stats.waiting);
    },
  });

  const published = new Counter({ name: "events_published_total", help: "Conversation events Pub/Sub acknowledged.", registers: [registry] });
  const failed = new Counter({
    name: "events_publish_failures_total",
    help: "Conversation event publishes that failed (each is retried with backoff).",
    registers: [registry],
  });
  const dropped = new Counter({
    name: "events_dropped_total",
    help: "Conversation events given up, by reason: outbox_full (past EVENTS_OUTBOX_MAX), missing_topic, invalid_topic.",
    labelNames: ["reason"],
    registers: [registry],
  });
  const pending = new Gauge({ name: "events_pending", help: "Conversation events in the outbox, not yet published.", registers: [registry] });
  const oldest = new Gauge({
    name: "events_oldest_pending_seconds",
    help: "Age of the oldest conversation event not yet published (0 when none).",
    registers: [registry],
  });

  const children = new Map<string, { count: Counter.Internal; latency: Histogram.Internal<"service" | "method"> }>();

  return {
    registry,
    observeRpc(service, method, code, seconds) {
      // Label lookups hash the label set; the children are resolved once per method and code.
      const key = `${service}/${method}/${code}`;
      let child = children.get(key);
      if (child === undefined) {
        child = { count: rpcs.labels(service, method, code), latency: latency.labels(service, method) };
        children.set(key, child);
      }
      child.count.inc();
      child.latency.observe(seconds);
    },
    events: {
      observePublished: (count) => published.inc(count),
      observeFailed: (count) => failed.inc(count),
      observeDropped: (reason, count) => dropped.inc({ reason }, count),
      observeBacklog(backlog) {
        pending.set(backlog.pending);
        oldest.set(backlog.oldestSeconds);
      },
    },
    observeSweep(counts) {
      swept.inc({ kind: "completed" }, counts.completed);
      swept.inc({ kind: "purged" }, counts.purged);
      swept.inc({ kind: "purged_messages" }, counts.purgedMessages);
    },
  };
}
