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

// Claims each conversation's first pending event only, so a conversation's
// events go out one after another, in order: a later one is not taken while
// an earlier one exists, claimed by another relay or waiting for its retry. An
// earlier event committed after this snapshot was taken has a smaller id only
// if it came from another conversation (see migration 009).
//
// The claim is the delete: the rows stay, locked, until the transaction ends,
// so other relays skip them (SKIP LOCKED) and a relay that dies gives them
// back with its connection. A published event then costs no statement and no
// row write of its own; one that failed is written back as it was (REQUEUE).
const CLAIM = {
  name: "outbox_claim",
  text: `DELETE FROM event_outbox
WHERE id IN (
  SELECT id FROM event_outbox AS e
  WHERE next_attempt_time <= now()
    AND NOT EXISTS (SELECT 1 FROM event_outbox AS earlier
      WHERE earlier.project = e.project AND earlier.location = e.location AND earlier.conversation_id = e.conversation_id AND earlier.id < e.id)
  ORDER BY id
  LIMIT $1
  FOR UPDATE SKIP LOCKED
)
RETURNING id, project, location, conversation_id AS "conversationId", event_type AS "eventType", topic,
  message_format AS "messageFormat", message, attempts, create_time::text AS "createTime", missing_topic_since::text AS "missingTopicSince",
  extract(epoch FROM now() - missing_topic_since)::float8 AS "missingTopicSeconds"`,
};

// Writes failed events back under their own ids (so their conversations keep
// their order), to be retried after $1's retry_ms.
const REQUEUE = {
  name: "outbox_requeue",
  text: `INSERT INTO event_outbox (id, project, location, conversation_id, event_type, topic, message_format, message,
  create_time, attempts, next_attempt_time, missing_topic_since)
SELECT id, project, location, conversation_id, event_type, topic, message_format, message,
  create_time, attempts + 1, now() + make_interval(secs => retry_ms / 1000.0),
  CASE WHEN missing THEN COALESCE(missing_topic_since, now()) END
FROM jsonb_to_recordset($1::jsonb) AS r(id int8, project text, location text, conversation_id text, event_type int2, topic text,
  message_format text, message jsonb, create_time timestamptz, attempts int4, missing_topic_since timestamptz, retry_ms float8, missing bool)`,
};

/** A claimed event, with what REQUEUE needs to write it back. */
interface ClaimedEvent extends OutboxEvent {
  readonly createTime: string;
  readonly missingTopicSince: string | null;
}

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

/** In one transaction: claims up to `limit` events, lets `publish` decide each, and writes back those that failed. */
export async function relayBatch(
  database: Database,
  limit: number,
  publish: (events: readonly OutboxEvent[]) => Promise<readonly PublishOutcome[]>,
): Promise<readonly PublishOutcome[]> {
  return database.transaction(async (tx) => {
    const events = await tx.query<ClaimedEvent>(CLAIM, [limit]);
    if (events.length === 0) return [];
    // The delete returns its rows in no particular order.
    events.sort((a, b) => a.id - b.id);
    const outcomes = await publish(events);
    await requeueFailed(tx, events, outcomes);
    return outcomes;
  });
}

async function requeueFailed(tx: Queryable, events: readonly ClaimedEvent[], outcomes: readonly PublishOutcome[]): Promise<void> {
  const failed = new Map<number, { retryAfterMs: number; missingTopic: boolean }>();
  for (const outcome of outcomes) if (outcome.kind === "failed") failed.set(outcome.id, outcome);
  if (failed.size === 0) return;
  const rows = events.flatMap((event) => {
    const failure = failed.get(event.id);
    if (failure === undefined) return [];
    return [
      {
        id: event.id,
        project: event.project,
        location: event.location,
        conversation_id: event.conversationId,
        event_type: event.eventType,
        topic: event.topic,
        message_format: event.messageFormat,
        message: event.message,
        create_time: event.createTime,
        attempts: event.attempts,
        missing_topic_since: event.missingTopicSince,
        retry_ms: failure.retryAfterMs,
        missing: failure.missingTopic,
      },
    ];
  });
  await tx.query(REQUEUE, [JSON.stringify(rows)]);
}

/** Drops the oldest events past `max`; how many went. */
export async function trimOutbox(database: Queryable, max: number): Promise<number> {
  return (await database.query<never>(TRIM, [max])).length;
}

export async function readBacklog(database: Queryable): Promise<OutboxBacklog> {
  const [row] = await database.query<OutboxBacklog>(BACKLOG);
  return row ?? { pending: 0, oldestSeconds: 0 };
}
