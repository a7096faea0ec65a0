import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "../store/database.js";
import type { SweepCounts } from "../store/sweeps.js";

/** The service's Prometheus metrics, in a registry of their own (one per server). */
export interface Metrics {
  readonly registry: Registry;
  observeRpc(service: string, method: string, code: string, seconds: number): void;
  observeSweep(counts: SweepCounts): void;
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
    observeSweep(counts) {
      swept.inc({ kind: "completed" }, counts.completed);
      swept.inc({ kind: "purged" }, counts.purged);
      swept.inc({ kind: "purged_messages" }, counts.purgedMessages);
    },
  };
}
