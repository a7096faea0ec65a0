import type { JsonObject } from "@bufbuild/protobuf";
import type { Participant } from "../gen/google/cloud/dialogflow/v2/participant_pb.js";
import { InvalidFieldError, PreconditionError, ResourceNotFoundError } from "../domain/errors.js";
import {
  CONVERSATIONS,
  PARTICIPANTS,
  formatConversationChildName,
  formatResourceName,
  storedLocation,
  type ConversationChildName,
  type ResourceName,
} from "../domain/names.js";
import type { PageCursor } from "../domain/page-token.js";
import { EFFECTIVE_END_TIME, IS_VISIBLE } from "./conversation-row.js";
import type { Database } from "./database.js";
import { PARTICIPANT_COLUMNS, toParticipant, type ParticipantRow } from "./participant-row.js";
import { sqlTimestampFromMicros, toInterval } from "./timestamps.js";

/** The proto3 JSON of a participant's settable fields (no name, no role). */
export type ParticipantBody = JsonObject;

export interface ParticipantPage {
  readonly participants: Participant[];
  readonly next: PageCursor | undefined;
}

export interface ParticipantUpdate {
  /** Copied from `patch` at these dotted JSON paths; a path absent from it is cleared. */
  readonly patch: ParticipantBody;
  readonly jsonPaths: readonly string[];
  /** The role the request holds when its mask names role: it must be the stored one (role is immutable). */
  readonly role: number | undefined;
  /** The mask sets a non-empty obfuscated_external_user_id, which only END_USER participants take. */
  readonly setsUserId: boolean;
}

export interface ParticipantStore {
  create(conversation: ResourceName, id: string, role: number, body: ParticipantBody): Promise<Participant>;
  get(name: ConversationChildName): Promise<Participant>;
  list(conversation: ResourceName, after: PageCursor | undefined, limit: number): Promise<ParticipantPage>;
  update(name: ConversationChildName, update: ParticipantUpdate): Promise<Participant>;
}

const ROLE_END_USER = 3;

// Every statement takes the time-to-live as $1 and the purge delay as $2 (see
// conversation-row.ts), then the conversation's key as $3 project, $4 stored
// location, $5 ID.
const CONVERSATION = `SELECT ${EFFECTIVE_END_TIME} IS NULL AS in_progress FROM conversations
  WHERE project = $3 AND location = $4 AND id = $5 AND ${IS_VISIBLE}`;

// One round trip: the conversation must be visible and in progress, then the insert.
const CREATE = {
  name: "participant_create",
  text: `WITH conversation AS (${CONVERSATION}
), inserted AS (
  INSERT INTO participants (project, location, conversation_id, id, role, body, create_time)
  SELECT $3, $4, $5, $6, $7, $8::jsonb, now() FROM conversation WHERE in_progress
  RETURNING ${PARTICIPANT_COLUMNS}
)
SELECT (SELECT in_progress FROM conversation) AS in_progress, inserted.* FROM (VALUES (1)) AS one LEFT JOIN inserted ON true`,
};

const GET = {
  name: "participant_get",
  text: `SELECT ${PARTICIPANT_COLUMNS} FROM participants
WHERE project = $3 AND location = $4 AND conversation_id = $5 AND id = $6 AND EXISTS (${CONVERSATION})`,
};

// One round trip tells a missing conversation (found is false) from an empty page.
const listStatement = (after: boolean) => ({
  name: after ? "participant_list_after" : "participant_list",
  text: `WITH conversation AS (${CONVERSATION})
SELECT EXISTS (SELECT 1 FROM conversation) AS found, page.* FROM (VALUES (1)) AS one LEFT JOIN (
  SELECT ${PARTICIPANT_COLUMNS} FROM participants
  WHERE project = $3 AND location = $4 AND conversation_id = $5 AND EXISTS (SELECT 1 FROM conversation)
    ${after ? `AND (create_time, id) > (${sqlTimestampFromMicros("$7")}, $8)` : ""}
  ORDER BY create_time, id LIMIT $6
) AS page ON true
ORDER BY page.create_micros, page.id`,
});
const LIST_FIRST = listStatement(false);
const LIST_AFTER = listStatement(true);

// jsonb_apply_mask (migration 004) merges in the statement: no lost update.
// The stored role decides, in the same statement, whether the update may go
// ahead ($9: the role the mask writes, NULL when it names none; $10: whether
// it sets a user ID).
const UPDATE = {
  name: "participant_update",
  text: `WITH found AS (
  SELECT role FROM participants
  WHERE project = $3 AND location = $4 AND conversation_id = $5 AND id = $6 AND EXISTS (${CONVERSATION})
), updated AS (
  UPDATE participants SET body = jsonb_apply_mask(body, $7::jsonb, $8::text[])
  WHERE project = $3 AND location = $4 AND conversation_id = $5 AND id = $6
    AND EXISTS (SELECT 1 FROM found WHERE ($9::int IS NULL OR role = $9) AND NOT ($10 AND role <> ${ROLE_END_USER}))
  RETURNING ${PARTICIPANT_COLUMNS}
)
SELECT (SELECT role FROM found) AS stored_role, updated.* FROM (VALUES (1)) AS one LEFT JOIN updated ON true`,
};

type Nullable<Row> = { [Key in keyof Row]: Row[Key] | null };

export function createParticipantStore(database: Database, options: { ttlSeconds: number; purgeAfterSeconds: number }): ParticipantStore {
  const lifetime = [toInterval(options.ttlSeconds), toInterval(options.purgeAfterSeconds)];
  const key = (conversation: ResourceName) => [...lifetime, conversation.project, storedLocation(conversation), conversation.id];

  return {
    async create(conversation, id, role, body) {
      const [row] = await database.query<Nullable<ParticipantRow> & { in_progress: boolean | null }>(CREATE, [
        ...key(conversation),
        id,
        role,
        JSON.stringify(body),
      ]);
      if (row === undefined || row.in_progress === null) throw conversationNotFound(conversation);
      if (row.id === null) throw conversationNotInProgress(conversation, "takes no new participants");
      return toParticipant(row as ParticipantRow, conversation);
    },

    async get(name) {
      const [row] = await database.query<ParticipantRow>(GET, [...key(name.conversation), name.id]);
      if (row === undefined) throw participantNotFound(name);
      return toParticipant(row, name.conversation);
    },

    async list(conversation, after, limit) {
      const values = [...key(conversation), limit + 1];
      const rows =
        after === undefined
          ? await database.query<Nullable<ParticipantRow> & { found: boolean }>(LIST_FIRST, values)
          : await database.query<Nullable<ParticipantRow> & { found: boolean }>(LIST_AFTER, [...values, after.micros, after.id]);
      if (rows[0]?.found !== true) throw conversationNotFound(conversation);
      const found = rows.filter((row): row is ParticipantRow & { found: boolean } => row.id !== null);
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      return {
        participants: page.map((row) => toParticipant(row, conversation)),
        next: found.length > limit && last !== undefined ? { micros: last.create_micros, id: last.id } : undefined,
      };
    },

    async update(name, { patch, jsonPaths, role, setsUserId }) {
      const [row] = await database.query<Nullable<ParticipantRow> & { stored_role: number | null }>(UPDATE, [
        ...key(name.conversation),
        name.id,
        JSON.stringify(patch),
        jsonPaths,
        role ?? null,
        setsUserId,
      ]);
      if (row === undefined || row.stored_role === null) throw participantNotFound(name);
      if (row.id === null) {
        if (role !== undefined && role !== row.stored_role) {
          throw new InvalidFieldError("participant.role", "is immutable: it is set when the participant is created and cannot change", "IMMUTABLE_FIELD", {
            role: String(row.stored_role),
          });
        }
        throw userIdNotForRole();
      }
      return toParticipant(row as ParticipantRow, name.conversation);
    },
  };
}

/** Google accepts an obfuscated user ID on END_USER participants only. */
export function userIdNotForRole(): InvalidFieldError {
  return new InvalidFieldError(
    "participant.obfuscated_external_user_id",
    "can only be set on an END_USER participant",
    "USER_ID_NOT_END_USER",
  );
}

export function conversationNotFound(conversation: ResourceName): ResourceNotFoundError {
  return new ResourceNotFoundError("dialogflow.googleapis.com/Conversation", formatResourceName(conversation, CONVERSATIONS));
}

export function participantNotFound(name: ConversationChildName): ResourceNotFoundError {
  return new ResourceNotFoundError("dialogflow.googleapis.com/Participant", formatConversationChildName(name, PARTICIPANTS));
}

/** FAILED_PRECONDITION for a conversation that is completed (or past its time-to-live). */
export function conversationNotInProgress(conversation: ResourceName, what: string): PreconditionError {
  const name = formatResourceName(conversation, CONVERSATIONS);
  return new PreconditionError("CONVERSATION_NOT_IN_PROGRESS", name, `${name} is completed and ${what}; start a new conversation`);
}
