import type { JsonObject } from "@bufbuild/protobuf";
import type { Database, Queryable } from "./database.js";

// The relay's statements on the outbox (migration 009). Any number of relays
// run them at once: a relay holds the events it publishes locked for the
// length of one transaction (FOR UPDATE SKIP LOCKED), so others take other
// events, and a relay that dies releases its events with its connection.

/** A pending event as the relay reads it. */
export interface OutboxEvent {
  readonly id: number;
  readonly project: string;
  readonly location: string;
  readonly conversationId: string;
  readonly eventType: number;
  readonly topic: string;
  readonly messageFormat: string;
  /** NEW_MESSAGE: the message row (message-row.ts); null otherwise. */
  readonly message: JsonObject | null;
  readonly attempts: number;
  /** Seconds the event's topic has been missing; null when it has not been. */
  readonly missingTopicSeconds: number | null;
}

/** What became of a published event. */
export type PublishOutcome =
  | { readonly id: number; readonly kind: "published" | "dropped" }
  | { readonly id: number; readonly kind: "failed"; readonly retryAfterMs: number; readonly missingTopic: boolean };

export interface OutboxBacklog {
  readonly pending: number;
  /** Age of the oldest pending event; 0 when none. */
  readonly oldestSeconds: number;
}

// Each conversation's first pending event only, so a conversation's events go
// out one after another, in order: a later one is not taken while an earlier
// one exists, locked by another relay or waiting for its retry. An earlier
// event committed after this snapshot was taken has a smaller id only if it
// came from another conversation (see migration 009).
const CLAIM = {
  name: "outbox_claim",
  text: `SELECT id, project, location, conversation_id AS "conversationId", event_type AS "eventType", topic,
  message_format AS "messageFormat", message, attempts,
  extract(epoch FROM now() - missing_topic_since)::float8 AS "missingTopicSeconds"
FROM event_outbox AS e
WHERE next_attempt_time <= now()
  AND NOT EXISTS (SELECT 1 FROM event_outbox AS earlier
    WHERE earlier.project = e.project AND earlier.location = e.location AND earlier.conversation_id = e.conversation_id AND earlier.id < e.id)
ORDER BY id
LIMIT $1
FOR UPDATE OF e SKIP LOCKED`,
};

// Settles one batch: published and dropped events go, failed ones wait for
// their retry ($3, $4, $5 in step).
const SETTLE = {
  name: "outbox_settle",
  text: `WITH gone AS (
  DELETE FROM event_outbox WHERE id = ANY($1::int8[])
), retried AS (
  UPDATE event_outbox AS e SET attempts = e.attempts + 1,
    next_attempt_time = now() + make_interval(secs => r.retry_ms / 1000.0),
    missing_topic_since = CASE WHEN r.missing THEN COALESCE(e.missing_topic_since, now()) END
  FROM unnest($2::int8[], $3::float8[], $4::bool[]) AS r(id, retry_ms, missing)
  WHERE e.id = r.id
)
SELECT 1`,
};

// The bound: everything older than the newest $1 events goes. The id of the
// first event past the bound is found by walking the primary key backwards.
const TRIM = {
  name: "outbox_trim",
  text: `DELETE FROM event_outbox
WHERE id <= (SELECT id FROM event_outbox ORDER BY id DESC OFFSET $1 LIMIT 1)
RETURNING 1`,
};

const BACKLOG = {
  name: "outbox_backlog",
  text: `SELECT count(*)::int8 AS pending, COALESCE(extract(epoch FROM now() - min(create_time)), 0)::float8 AS "oldestSeconds"
FROM event_outbox`,
};

/** In one transaction: claims up to `limit` events, lets `publish` decide each, and settles them. */
export async function relayBatch(
  database: Database,
  limit: number,
  publish: (events: readonly OutboxEvent[]) => Promise<readonly PublishOutcome[]>,
): Promise<readonly PublishOutcome[]> {
  return database.transaction(async (tx) => {
    const events = await tx.query<OutboxEvent>(CLAIM, [limit]);
    if (events.length === 0) return [];
    const outcomes = await publish(events);
    await settle(tx, outcomes);
    return outcomes;
  });
}

async function settle(tx: Queryable, outcomes: readonly PublishOutcome[]): Promise<void> {
  const done = outcomes.filter((outcome) => outcome.kind !== "failed").map((outcome) => outcome.id);
  const failed = outcomes.filter((outcome) => outcome.kind === "failed");
  await tx.query(SETTLE, [
    done,
    failed.map((outcome) => outcome.id),
    failed.map((outcome) => outcome.retryAfterMs),
    failed.map((outcome) => outcome.missingTopic),
  ]);
}

/** Drops the oldest events past `max`; how many went. */
export async function trimOutbox(database: Queryable, max: number): Promise<number> {
  return (await database.query<never>(TRIM, [max])).length;
}

export async function readBacklog(database: Queryable): Promise<OutboxBacklog> {
  const [row] = await database.query<OutboxBacklog>(BACKLOG);
  return row ?? { pending: 0, oldestSeconds: 0 };
}
