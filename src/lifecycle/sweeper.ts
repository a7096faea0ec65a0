import type { Database } from "../store/database.js";
import { sweepOnce, type SweepCounts, type SweepOptions } from "../store/sweeps.js";

export interface SweeperOptions extends SweepOptions {
  readonly intervalSeconds: number;
  /** Told after every pass; feeds logs and metrics. */
  readonly onSweep?: (counts: SweepCounts) => void;
  /** Told when a pass fails; the next pass runs at the next interval regardless. */
  readonly onError?: (error: unknown) => void;
}

export interface Sweeper {
  /** Stops scheduling and waits for a pass under way to end. */
  stop(): Promise<void>;
}

/** Runs sweepOnce every interval, one pass at a time, never keeping the process alive by itself. */
export function startSweeper(database: Database, options: SweeperOptions): Sweeper {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweepOnce(database, options)
        .then((counts) => options.onSweep?.(counts))
        .catch((error: unknown) => options.onError?.(error))
        .finally(schedule);
    }, options.intervalSeconds * 1000);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
