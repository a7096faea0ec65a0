// What a user writes by hand from the REST page, shared by the hand-written peers
// (gRPC and Connect): Get selects a seeded conversation's fields by primary key,
// Create inserts them; no time-to-live, purge window, snapshot or validation.
import { create } from "@bufbuild/protobuf";
import { ConversationSchema, Conversation_LifecycleState, type Conversation } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import type { ConversationRow } from "../src/store/conversation-row.js";
import { timestampFromMicros } from "../src/store/timestamps.js";

// The start time as exact microseconds. $1 project, $2 location, $3 id.
export const PRIMARY_KEY_GET = {
  name: "peer_primary_key_get",
  text: `SELECT project, location, id, conversation_profile, conversation_stage, phone_number,
  (extract(epoch FROM start_time) * 1000000)::int8 AS start_micros, (extract(epoch FROM end_time) * 1000000)::int8 AS end_micros
FROM conversations WHERE project = $1 AND location = $2 AND id = $3`,
};

// The profile taken on trust, in HUMAN_ASSIST_STAGE. $1 project, $2 location, $3 id, $4 profile name, $5 profile ID.
export const PRIMARY_KEY_CREATE = {
  name: "peer_primary_key_create",
  text: `INSERT INTO conversations (project, location, id, conversation_profile, profile_location, profile_id, conversation_stage, start_time)
VALUES ($1, $2, $3, $4, $2, $5, 2, now())
RETURNING project, location, id, conversation_profile, conversation_stage, phone_number,
  (extract(epoch FROM start_time) * 1000000)::int8 AS start_micros, NULL::int8 AS end_micros`,
};

export type KeyedRow = Omit<ConversationRow, "initial_profile" | "context_references">;

/** A hand-written mapping of PRIMARY_KEY_GET's and PRIMARY_KEY_CREATE's row. */
export function conversationOfFields(row: KeyedRow): Conversation {
  return create(ConversationSchema, {
    name: `projects/${row.project}/locations/${row.location}/conversations/${row.id}`,
    lifecycleState: row.end_micros === null ? Conversation_LifecycleState.IN_PROGRESS : Conversation_LifecycleState.COMPLETED,
    conversationProfile: row.conversation_profile,
    conversationStage: row.conversation_stage,
    phoneNumber: row.phone_number === null ? undefined : { phoneNumber: row.phone_number },
    startTime: timestampFromMicros(row.start_micros),
    endTime: row.end_micros === null ? undefined : timestampFromMicros(row.end_micros),
  });
}
