import type { Database } from "./database.js";
import { EVENT_CONVERSATION_FINISHED, eventsWrittenBy, insertConversationEvents } from "./event-outbox-sql.js";
import { toInterval } from "./timestamps.js";

// Background upkeep, safe with any number of replicas sweeping at once: each
// batch locks the rows it takes with SKIP LOCKED, so sweepers share the work
// instead of queueing on each other, and every batch is its own short statement.

const BATCH = 1000;

// Writes end_time = start_time + ttl on conversations whose time-to-live has
// passed; reads already show them completed, this makes it stored, and writes
// their CONVERSATION_FINISHED events.
const COMPLETE_EXPIRED = {
  name: "sweep_complete_expired",
  writesEvents: true,
  text: `WITH completed AS (
  UPDATE conversations SET end_time = start_time + $1::interval
  WHERE ctid IN (
    SELECT ctid FROM conversations
    WHERE end_time IS NULL AND start_time <= now() - $1::interval
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  )
  RETURNING project, location, id, initial_profile
), finished AS (
  ${insertConversationEvents(EVENT_CONVERSATION_FINISHED, "completed")}
)
SELECT ${eventsWrittenBy("finished")} FROM completed`,
};

// Deletes up to $2 messages of conversations that ended longer ago than the
// retention. The conversations are only read, never locked: a conversation
// with a long transcript loses it over many short statements, and nothing
// else waits on it meanwhile (it is invisible to reads already).
const PURGE_ENDED_MESSAGES = {
  name: "sweep_purge_ended_messages",
  text: `DELETE FROM messages
WHERE ctid IN (
  SELECT m.ctid FROM conversations AS c
  CROSS JOIN LATERAL (
    SELECT ctid FROM messages
    WHERE project = c.project AND location = c.location AND conversation_id = c.id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  ) AS m
  WHERE c.end_time IS NOT NULL AND c.end_time <= now() - $1::interval
  LIMIT $2
)
RETURNING 1`,
};

// Deletes conversations that ended longer ago than the retention, once their
// messages are gone (so no message outlives its conversation and reappears
// under a new conversation of the same ID), with their few participants.
const PURGE_ENDED = {
  name: "sweep_purge_ended",
  text: `WITH purged AS (
  DELETE FROM conversations
  WHERE ctid IN (
    SELECT ctid FROM conversations AS c
    WHERE end_time IS NOT NULL AND end_time <= now() - $1::interval
      AND NOT EXISTS (SELECT 1 FROM messages WHERE project = c.project AND location = c.location AND conversation_id = c.id)
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  )
  RETURNING project, location, id
), participants_purged AS (
  DELETE FROM participants AS p USING purged
  WHERE p.project = purged.project AND p.location = purged.location AND p.conversation_id = purged.id
)
SELECT 1 FROM purged`,
};

export interface SweepCounts {
  /** Conversations whose automatic completion was written. */
  readonly completed: number;
  /** Conversations deleted after the retention. */
  readonly purged: number;
  /** Messages deleted with their conversations. */
  readonly purgedMessages: number;
}

export interface SweepOptions {
  readonly ttlSeconds: number;
  readonly purgeAfterSeconds: number;
  /** Rows per statement; small batches keep row locks short. */
  readonly batchSize?: number;
}

/** One pass: materialise every expired conversation, then purge every one past retention, its messages first. */
export async function sweepOnce(database: Database, options: SweepOptions): Promise<SweepCounts> {
  const batch = options.batchSize ?? BATCH;
  const completed = await repeatBatches(batch, async () =>
    (await database.query<never>(COMPLETE_EXPIRED, [toInterval(options.ttlSeconds), batch])).length,
  );
  const retention = toInterval(options.purgeAfterSeconds);
  const purgedMessages = await repeatBatches(batch, async () => (await database.query<never>(PURGE_ENDED_MESSAGES, [retention, batch])).length);
  const purged = await repeatBatches(batch, async () => (await database.query<never>(PURGE_ENDED, [retention, batch])).length);
  return { completed, purged, purgedMessages };
}

async function repeatBatches(batch: number, runBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await runBatch();
    total += done;
    if (done < batch) return total;
  }
}
