import type { JsonObject } from "@bufbuild/protobuf";
import type { Message } from "../gen/google/cloud/dialogflow/v2/participant_pb.js";
import { InvalidFieldError } from "../domain/errors.js";
import type { MessageTimeComparison } from "../domain/message-filter.js";
import { storedLocation, type ConversationChildName, type ResourceName } from "../domain/names.js";
import type { PageCursor } from "../domain/page-token.js";
import { EFFECTIVE_END_TIME, IS_VISIBLE } from "./conversation-row.js";
import { createCallBatcher } from "./call-batcher.js";
import { currentCallSignal, withCallSignal } from "./call-signal.js";
import type { Database } from "./database.js";
import { EVENT_NEW_MESSAGE, eventsWrittenBy, insertEvents } from "./event-outbox-sql.js";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "./message-row.js";
import { conversationNotFound, conversationNotInProgress, participantNotFound } from "./participants.js";
import { sqlTimestampFromMicros, toInterval } from "./timestamps.js";

/** One text turn to store. */
export interface NewTurn {
  readonly participant: ConversationChildName;
  /** The ID the message gets if it is stored now. */
  readonly messageId: string;
  readonly text: string;
  /** The request's language code; "" takes the profile's. */
  readonly languageCode: string;
  /** AnalyzeContent's request_id; "" when the call is not idempotent. */
  readonly requestId: string;
}

/** What the conversation said about the turn, read by the statement that stored it. */
export interface StoredTurn {
  readonly messageId: string;
  readonly message: Message;
  readonly conversationStage: number;
  /** The profile's human_agent_assistant_config as proto3 JSON, when it has one (its snapshot at the conversation's start). */
  readonly assistantConfig: JsonObject | undefined;
  /** The profile's automated_agent_config.agent ("" when none). */
  readonly agent: string;
  /** True when request_id named a turn stored before: nothing new was written. */
  readonly repeated: boolean;
  /** What an earlier call with the same request_id stored as the automated reply (see addAutomatedReply). */
  readonly automatedReply: JsonObject | undefined;
}

export interface MessagePage {
  readonly messages: Message[];
  readonly next: PageCursor | undefined;
}

// The store methods a call may reach after its first await take the call's
// `signal`, to cancel their statement with the call; without one, a statement
// gets the signal the RPC layer set, if it is sent before that await (see call-signal.ts).

export interface MessageStore {
  /** Stores a turn if its conversation is in progress; a repeated request_id returns the turn stored first. */
  addTurn(turn: NewTurn, signal?: AbortSignal): Promise<StoredTurn>;
  /**
   * Stores the automated agent's reply to `turnId` as a message of the
   * conversation's AUTOMATED_AGENT participant (none when it has none), and
   * the record on the turn, so a repeated request_id answers the same. A reply
   * without text (a webhook that failed) is kept on the turn but is no message.
   */
  addAutomatedReply(conversation: ResourceName, turnId: string, reply: AutomatedReplyRecord, signal?: AbortSignal): Promise<Message | undefined>;
  list(conversation: ResourceName, filter: readonly MessageTimeComparison[], after: PageCursor | undefined, limit: number): Promise<MessagePage>;
}

/** An automated reply as stored with the turn it answers. */
export interface AutomatedReplyRecord {
  readonly messageId: string;
  readonly text: string;
  readonly languageCode: string;
  /** The AutomatedAgentReply as proto3 JSON. */
  readonly reply: JsonObject;
}

/** Google's documented limit on TextInput.text for virtual agent interactions. */
export const MAX_VIRTUAL_AGENT_TEXT = 256;
const STAGE_VIRTUAL_AGENT = 1;
const ROLE_END_USER = 3;

// $1 time-to-live, $2 purge delay (see conversation-row.ts); $3 project, $4
// stored location, $5 conversation ID, $6 participant ID, $7 the new message's
// ID, $8 text, $9 language code, $10 request_id (NULL for none).
//
// One round trip decides and writes the turn: the conversation must be
// visible and in progress (not completed, not past its time-to-live), the
// participant must be in it, a request_id seen before returns the turn it
// stored, and text for a virtual agent must fit Google's limit. The outer
// SELECT always returns one row, so each refusal is told apart without a
// second query. A Complete that commits while this runs does not make the
// turn late: its create_time (now(), the statement's start) precedes the
// end_time that Complete writes. A profile with a new message topic gets
// NEW_MESSAGE in the outbox by the insert.
//
// Two calls with the same new request_id race to the unique index: the
// second waits for the first and inserts nothing, and its snapshot cannot see
// the first's row; it reports no row, and the store asks once more.
const ADD_TURN = {
  name: "message_add_turn",
  writesEvents: true,
  text: `WITH conversation AS (
  SELECT conversation_stage, ${EFFECTIVE_END_TIME} IS NULL AS in_progress,
    initial_profile -> 'humanAgentAssistantConfig' AS assistant_config,
    COALESCE(initial_profile -> 'automatedAgentConfig' ->> 'agent', '') AS agent,
    initial_profile ->> 'languageCode' AS profile_language,
    initial_profile -> 'newMessageEventNotificationConfig' AS message_events
  FROM conversations WHERE project = $3 AND location = $4 AND id = $5 AND ${IS_VISIBLE}
  -- Orders the conversation's messages and its complete, so their events are written in commit order.
  FOR NO KEY UPDATE
), participant AS (
  SELECT role FROM participants WHERE project = $3 AND location = $4 AND conversation_id = $5 AND id = $6
), earlier AS (
  SELECT ${MESSAGE_COLUMNS}, automated_reply FROM messages
  WHERE $10::text IS NOT NULL AND project = $3 AND location = $4 AND conversation_id = $5 AND participant_id = $6 AND request_id = $10
), inserted AS (
  INSERT INTO messages (project, location, conversation_id, create_time, id, participant_id, participant_role, content, language_code, request_id)
  SELECT $3, $4, $5, now(), $7, $6, participant.role, $8, COALESCE(NULLIF($9, ''), conversation.profile_language, ''), $10
  FROM conversation, participant
  WHERE conversation.in_progress AND NOT EXISTS (SELECT 1 FROM earlier)
    AND NOT (conversation.conversation_stage = ${STAGE_VIRTUAL_AGENT} AND participant.role = ${ROLE_END_USER}
      AND char_length($8) > ${MAX_VIRTUAL_AGENT_TEXT})
  ON CONFLICT DO NOTHING
  RETURNING ${MESSAGE_COLUMNS}, automated_reply
), event AS (
  ${insertEvents(EVENT_NEW_MESSAGE, {
    from: "inserted, conversation",
    project: "$3",
    location: "$4",
    conversationId: "$5",
    config: "conversation.message_events",
    message: "to_jsonb(inserted) - 'automated_reply'",
  })}
)
SELECT conversation.*, (SELECT role FROM participant) AS role, EXISTS (SELECT 1 FROM earlier) AS repeated, ${eventsWrittenBy("event")}, turn.*
FROM (VALUES (1)) AS one
LEFT JOIN conversation ON true
LEFT JOIN (SELECT * FROM inserted UNION ALL SELECT * FROM earlier) AS turn ON true`,
};

// ADD_TURN for many turns without a request_id at once (see call-batcher.ts):
// $3..$9 are arrays of ADD_TURN's $3..$9, one entry per turn. Each turn is
// decided as ADD_TURN decides it alone, against its own conversation and
// participant, and answers one row by key_index (its place in the arrays).
// Turns without a request_id cannot collide: nothing orders them against
// each other, and the rows inserted have fresh IDs. Turns of one conversation
// in one batch share a create_time; their order is then the IDs', as for
// any tie in the transcript.
const ADD_TURNS = {
  name: "message_add_turns",
  writesEvents: true,
  text: `WITH turn AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) WITH ORDINALITY
    AS turn (project, location, conversation_id, participant_id, message_id, content, language_code, key_index)
), conversation AS (
  SELECT project, location, id, conversation_stage, ${EFFECTIVE_END_TIME} IS NULL AS in_progress,
    initial_profile -> 'humanAgentAssistantConfig' AS assistant_config,
    COALESCE(initial_profile -> 'automatedAgentConfig' ->> 'agent', '') AS agent,
    initial_profile ->> 'languageCode' AS profile_language,
    initial_profile -> 'newMessageEventNotificationConfig' AS message_events
  FROM conversations
  WHERE (project, location, id) IN (SELECT project, location, conversation_id FROM turn) AND ${IS_VISIBLE}
  -- As in ADD_TURN (events in commit order); locked in key order, so two batches cannot deadlock.
  ORDER BY project, location, id
  FOR NO KEY UPDATE
), decided AS (
  SELECT turn.*, conversation.conversation_stage, conversation.in_progress, conversation.assistant_config, conversation.agent,
    conversation.profile_language, conversation.message_events, participant.role
  FROM turn
  LEFT JOIN conversation ON conversation.project = turn.project AND conversation.location = turn.location AND conversation.id = turn.conversation_id
  LEFT JOIN LATERAL (
    SELECT role FROM participants
    WHERE project = turn.project AND location = turn.location AND conversation_id = turn.conversation_id AND id = turn.participant_id
  ) AS participant ON true
), inserted AS (
  INSERT INTO messages (project, location, conversation_id, create_time, id, participant_id, participant_role, content, language_code)
  SELECT project, location, conversation_id, now(), message_id, participant_id, role, content, COALESCE(NULLIF(language_code, ''), profile_language, '')
  FROM decided
  WHERE in_progress AND role IS NOT NULL
    AND NOT (conversation_stage = ${STAGE_VIRTUAL_AGENT} AND role = ${ROLE_END_USER} AND char_length(content) > ${MAX_VIRTUAL_AGENT_TEXT})
  RETURNING project, location, conversation_id, ${MESSAGE_COLUMNS}, automated_reply
), event AS (
  ${insertEvents(EVENT_NEW_MESSAGE, {
    from: `inserted JOIN decided ON decided.project = inserted.project AND decided.location = inserted.location
      AND decided.conversation_id = inserted.conversation_id AND decided.message_id = inserted.id`,
    project: "inserted.project",
    location: "inserted.location",
    conversationId: "inserted.conversation_id",
    config: "decided.message_events",
    message: "to_jsonb(inserted) - 'automated_reply' - 'project' - 'location' - 'conversation_id'",
    // Turns of one conversation in one batch share a create_time: the transcript orders them by ID.
    orderBy: "inserted.id",
  })}
)
SELECT decided.key_index, decided.conversation_stage, decided.in_progress, decided.assistant_config, decided.agent, decided.role,
  false AS repeated, ${eventsWrittenBy("event")}, inserted.id, inserted.participant_id, inserted.participant_role, inserted.content, inserted.language_code,
  inserted.create_micros, inserted.automated_reply
FROM decided LEFT JOIN inserted ON inserted.project = decided.project AND inserted.location = decided.location
  AND inserted.conversation_id = decided.conversation_id AND inserted.id = decided.message_id`,
};

/** Most turns one ADD_TURNS stores. */
const MAX_TURN_BATCH = 64;

// The reply to a turn: the AUTOMATED_AGENT message, and the reply kept on the
// turn it answers, in one statement, with its NEW_MESSAGE event when the
// profile has a topic for it. $1..$3 the conversation's key, $4 the turn's ID,
// $5 the reply's ID, $6 its text, $7 its language, $8 the record.
const ADD_AUTOMATED_REPLY = {
  name: "message_add_automated_reply",
  writesEvents: true,
  text: `WITH conversation AS (
  SELECT initial_profile -> 'newMessageEventNotificationConfig' AS message_events
  FROM conversations WHERE project = $1 AND location = $2 AND id = $3
  -- As in ADD_TURN: events of one conversation are written in commit order.
  FOR NO KEY UPDATE
), kept AS (
  UPDATE messages SET automated_reply = $8::jsonb
  WHERE project = $1 AND location = $2 AND conversation_id = $3 AND id = $4
), inserted AS (
  INSERT INTO messages (project, location, conversation_id, create_time, id, participant_id, participant_role, content, language_code)
  SELECT $1, $2, $3, now(), $5,
    COALESCE((SELECT id FROM participants WHERE project = $1 AND location = $2 AND conversation_id = $3 AND role = 2
      ORDER BY create_time, id LIMIT 1), ''),
    2, $6, $7
  WHERE $6 <> ''
  RETURNING ${MESSAGE_COLUMNS}
), event AS (
  ${insertEvents(EVENT_NEW_MESSAGE, {
    from: "inserted, conversation",
    project: "$1",
    location: "$2",
    conversationId: "$3",
    config: "conversation.message_events",
    message: "to_jsonb(inserted)",
  })}
)
SELECT *, ${eventsWrittenBy("event")} FROM inserted`,
};

type Nullable<Row> = { [Key in keyof Row]: Row[Key] | null };

interface TurnOutcome extends Nullable<MessageRow> {
  conversation_stage: number | null;
  in_progress: boolean | null;
  assistant_config: JsonObject | null;
  agent: string | null;
  role: number | null;
  repeated: boolean;
  automated_reply: JsonObject | null;
}

const COMPARATORS = new Set(["=", "!=", "<", ">", "<=", ">="]);

export function createMessageStore(database: Database, options: { ttlSeconds: number; purgeAfterSeconds: number }): MessageStore {
  const lifetime = [toInterval(options.ttlSeconds), toInterval(options.purgeAfterSeconds)];
  const key = (conversation: ResourceName) => [conversation.project, storedLocation(conversation), conversation.id];

  /** ADD_TURN's $3..$9 for `turn`. */
  const turnValues = (turn: NewTurn) => [...key(turn.participant.conversation), turn.participant.id, turn.messageId, turn.text, turn.languageCode];

  async function tryAddTurn(turn: NewTurn): Promise<TurnOutcome> {
    const [row] = await database.query<TurnOutcome>(ADD_TURN, [...lifetime, ...turnValues(turn), turn.requestId === "" ? null : turn.requestId]);
    if (row === undefined) throw new Error("ADD_TURN returns one row");
    return row;
  }

  // Turns without a request_id that arrive together share ADD_TURNS; the signal reaches it as a call's own would (see call-signal.ts).
  // None is sent ahead of its turn: a conversation's turns that arrive together are stored by one
  // statement, so their transcript order and their events' order agree, which two statements
  // running side by side need not.
  const addTurnBatched = createCallBatcher<NewTurn, TurnOutcome>((turns, signal) => withCallSignal(signal, () => addTurns(turns)), MAX_TURN_BATCH, {
    sendAloneAtOnce: false,
  });

  async function addTurns(turns: readonly NewTurn[]): Promise<(TurnOutcome | undefined)[]> {
    if (turns.length === 1) return [await tryAddTurn(turns[0] as NewTurn)];
    const columns = turns.map(turnValues);
    const rows = await database.query<TurnOutcome & { key_index: number }>(ADD_TURNS, [
      ...lifetime,
      ...(columns[0] ?? []).map((_, column) => columns.map((values) => values[column])),
    ]);
    const ordered: (TurnOutcome | undefined)[] = new Array(turns.length);
    for (const row of rows) ordered[Number(row.key_index) - 1] = row;
    return ordered;
  }

  async function addTurnOnce(turn: NewTurn, signal: AbortSignal | undefined): Promise<TurnOutcome> {
    const row = await addTurnBatched(turn, signal);
    if (row === undefined) throw new Error("ADD_TURNS returns one row per turn");
    return row;
  }

  return {
    async addTurn(turn, signal = currentCallSignal()) {
      const { conversation } = turn.participant;
      // A request_id's race for the unique index is decided by ADD_TURN alone (see there).
      let row = turn.requestId === "" ? await addTurnOnce(turn, signal) : await withCallSignal(signal, () => tryAddTurn(turn));
      // Lost the race for a new request_id (see ADD_TURN): the winner's row is committed now.
      if (row.id === null && row.in_progress === true && row.role !== null && turn.requestId !== "") row = await withCallSignal(signal, () => tryAddTurn(turn));
      if (row.in_progress === null) throw conversationNotFound(conversation);
      if (row.role === null) throw participantNotFound(turn.participant);
      if (row.id === null) {
        if (row.in_progress !== true) throw conversationNotInProgress(conversation, "takes no new messages");
        throw new InvalidFieldError(
          "text_input.text",
          `must be at most ${MAX_VIRTUAL_AGENT_TEXT} characters for a virtual agent (it has ${turn.text.length})`,
          "TEXT_TOO_LONG",
          { length: String(turn.text.length) },
        );
      }
      return {
        messageId: row.id,
        message: toMessage(row as MessageRow, conversation),
        conversationStage: row.conversation_stage ?? 0,
        assistantConfig: row.assistant_config ?? undefined,
        agent: row.agent ?? "",
        repeated: row.repeated,
        automatedReply: row.automated_reply ?? undefined,
      };
    },

    async addAutomatedReply(conversation, turnId, record, signal = currentCallSignal()) {
      const values = [...key(conversation), turnId, record.messageId, record.text, record.languageCode, JSON.stringify(record)];
      const [row] = await withCallSignal(signal, () => database.query<MessageRow>(ADD_AUTOMATED_REPLY, values));
      return row === undefined ? undefined : toMessage(row, conversation);
    },

    async list(conversation, filter, after, limit) {
      const values: unknown[] = [...lifetime, ...key(conversation)];
      const conditions = ["project = $3", "location = $4", "conversation_id = $5", "EXISTS (SELECT 1 FROM conversation)"];
      for (const { op, micros } of filter) {
        if (!COMPARATORS.has(op)) throw new Error(`unknown comparator ${op}`);
        values.push(micros.toString());
        conditions.push(`create_time ${op} ${sqlTimestampFromMicros(`$${values.length}`)}`);
      }
      if (after !== undefined) {
        values.push(after.micros, after.id);
        conditions.push(`(create_time, id) < (${sqlTimestampFromMicros(`$${values.length - 1}`)}, $${values.length})`);
      }
      values.push(limit + 1);
      // One round trip tells a missing conversation (found is false) from an empty page.
      const text = `WITH conversation AS (
  SELECT 1 FROM conversations WHERE project = $3 AND location = $4 AND id = $5 AND ${IS_VISIBLE}
)
SELECT EXISTS (SELECT 1 FROM conversation) AS found, page.* FROM (VALUES (1)) AS one LEFT JOIN (
  SELECT ${MESSAGE_COLUMNS} FROM messages WHERE ${conditions.join(" AND ")}
  ORDER BY create_time DESC, id DESC LIMIT $${values.length}
) AS page ON true
ORDER BY page.create_micros DESC, page.id DESC`;
      // Unfiltered lists have two fixed shapes worth preparing; filtered ones vary.
      const statementName = filter.length === 0 ? `message_list${after === undefined ? "" : "_after"}` : undefined;
      const rows = await database.query<Nullable<MessageRow> & { found: boolean }>({ name: statementName, text }, values);
      if (rows[0]?.found !== true) throw conversationNotFound(conversation);
      const found = rows.filter((row): row is MessageRow & { found: boolean } => row.id !== null);
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      return {
        messages: page.map((row) => toMessage(row, conversation)),
        next: found.length > limit && last !== undefined ? { micros: last.create_micros, id: last.id } : undefined,
      };
    },
  };
}
