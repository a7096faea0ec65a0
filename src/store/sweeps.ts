import type { Database } from "./database.js";
import { toInterval } from "./timestamps.js";

// Background upkeep, safe with any number of replicas sweeping at once: each
// batch locks the rows it takes with SKIP LOCKED, so sweepers share the work
// instead of queueing on each other, and every batch is its own short statement.

const BATCH = 1000;

// Writes end_time = start_time + ttl on conversations whose time-to-live has
// passed; reads already show them completed, this makes it stored.
const COMPLETE_EXPIRED = {
  name: "sweep_complete_expired",
  text: `UPDATE conversations SET end_time = start_time + $1::interval
WHERE ctid IN (
  SELECT ctid FROM conversations
  WHERE end_time IS NULL AND start_time <= now() - $1::interval
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)
RETURNING 1`,
};

// Deletes conversations that ended longer ago than the retention.
const PURGE_ENDED = {
  name: "sweep_purge_ended",
  text: `DELETE FROM conversations
WHERE ctid IN (
  SELECT ctid FROM conversations
  WHERE end_time IS NOT NULL AND end_time <= now() - $1::interval
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)
RETURNING 1`,
};

export interface SweepCounts {
  /** Conversations whose automatic completion was written. */
  readonly completed: number;
  /** Conversations deleted after the retention. */
  readonly purged: number;
}

export interface SweepOptions {
  readonly ttlSeconds: number;
  readonly purgeAfterSeconds: number;
  /** Rows per statement; small batches keep row locks short. */
  readonly batchSize?: number;
}

/** One pass: materialise every expired conversation, then purge every one past retention. */
export async function sweepOnce(database: Database, options: SweepOptions): Promise<SweepCounts> {
  const batch = options.batchSize ?? BATCH;
  const completed = await repeatBatches(batch, async () =>
    (await database.query<never>(COMPLETE_EXPIRED, [toInterval(options.ttlSeconds), batch])).length,
  );
  const purged = await repeatBatches(batch, async () =>
    (await database.query<never>(PURGE_ENDED, [toInterval(options.purgeAfterSeconds), batch])).length,
  );
  return { completed, purged };
}

async function repeatBatches(batch: number, runBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await runBatch();
    total += done;
    if (done < batch) return total;
  }
}
