import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";

/**
 * The primary of a WORKERS > 1 run: forks the workers (each a whole server on
 * the shared port; Node's cluster hands accepted connections to them in turn),
 * replaces one that dies after it served (exits non-zero when one dies before), and on SIGTERM/SIGINT passes the signal on, waits for
 * every worker to drain and exits 0. Never returns.
 */
export function superviseWorkers(count: number, log: Logger, onStopped: () => void): Promise<never> {
  let stopping = false;
  const fork = () => cluster.fork();
  cluster.on("exit", (worker: Worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        log.info("stopped");
        onStopped();
        process.exit(0);
      }
      return;
    }
    if (!served.has(worker.id)) {
      // It failed at start-up (the database refuses, a bad setting): another fork would fail the
      // same way, in a loop. Exit instead, so a supervisor sees the failure and backs off.
      stopping = true;
      log.error({ worker: worker.process.pid, code, signal }, "a worker exited before it served; stopping");
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill("SIGTERM");
      process.exit(typeof code === "number" && code !== 0 ? code : 1);
    }
    log.error({ worker: worker.process.pid, code, signal }, "worker exited; starting another");
    fork();
  });
  const served = new Set<number>();
  cluster.on("listening", (worker: Worker) => served.add(worker.id));
  for (let i = 0; i < count; i++) fork();
  log.info({ workers: count }, `started ${count} workers`);

  for (const name of ["SIGTERM", "SIGINT"] as const) {
    process.on(name, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: name }, "shutting down workers");
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
    });
  }
  return new Promise<never>(() => {});
}
