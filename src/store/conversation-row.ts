import { create, fromJson, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMicros } from "./timestamps.js";
import {
  ConversationPhoneNumberSchema,
  ConversationSchema,
  Conversation_ContextReferenceSchema,
  Conversation_LifecycleState,
  type Conversation,
  type Conversation_ContextReference,
} from "../gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ConversationProfileSchema } from "../gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { CONVERSATIONS, formatResourceName, type ParentName } from "../domain/names.js";
import { countryCallingCode } from "../domain/phone-numbers.js";

/** A conversation as every conversation query selects it (see CONVERSATION_COLUMNS). */
export interface ConversationRow {
  project: string;
  location: string;
  id: string;
  conversation_profile: string;
  conversation_stage: number;
  phone_number: string | null;
  start_micros: number;
  end_micros: number | null;
  /** The profile's JSON with its times when the conversation started (migration 005); null for older rows whose profile was gone. */
  initial_profile: JsonObject | null;
  /** IngestContextReferences: the JSON map of references by key. */
  context_references: JsonObject;
}

/**
 * The lifecycle as every reader must see it: a conversation past its
 * time-to-live is completed at start_time + ttl whether or not a sweep has
 * written that yet. $1 is the time-to-live (an interval) in every statement.
 */
export const EFFECTIVE_END_TIME = "COALESCE(end_time, CASE WHEN start_time + $1::interval <= now() THEN start_time + $1::interval END)";

/** Purged conversations vanish from reads at once; $2 is the retention after end (an interval). */
export const IS_VISIBLE = "COALESCE(end_time, start_time + $1::interval) + $2::interval > now()";

export const CONVERSATION_COLUMNS = `project, location, id, conversation_profile, conversation_stage, phone_number,
  floor(extract(epoch FROM start_time) * 1000000)::int8 AS start_micros,
  floor(extract(epoch FROM ${EFFECTIVE_END_TIME}) * 1000000)::int8 AS end_micros,
  initial_profile, context_references`;

/**
 * The one place a database row becomes a Conversation message, named in the
 * form of `as` (the caller's spelling of its parent).
 */
export function toConversation(row: ConversationRow, as: ParentName): Conversation {
  return create(ConversationSchema, {
    name: formatResourceName({ project: row.project, location: as.location, id: row.id }, CONVERSATIONS),
    lifecycleState: row.end_micros === null ? Conversation_LifecycleState.IN_PROGRESS : Conversation_LifecycleState.COMPLETED,
    conversationProfile: row.conversation_profile,
    conversationStage: row.conversation_stage,
    phoneNumber:
      row.phone_number === null
        ? undefined
        : create(ConversationPhoneNumberSchema, { phoneNumber: row.phone_number, countryCode: countryCallingCode(row.phone_number) }),
    startTime: timestampFromMicros(row.start_micros),
    endTime: row.end_micros === null ? undefined : timestampFromMicros(row.end_micros),
    initialConversationProfile:
      row.initial_profile === null
        ? undefined
        : { ...fromJson(ConversationProfileSchema, row.initial_profile, { ignoreUnknownFields: true }), name: row.conversation_profile },
    ingestedContextReferences: toContextReferences(row.context_references),
  });
}

export function toContextReferences(json: JsonObject): Record<string, Conversation_ContextReference> {
  const references: Record<string, Conversation_ContextReference> = {};
  for (const [key, value] of Object.entries(json)) {
    if (value !== null) references[key] = fromJson(Conversation_ContextReferenceSchema, value, { ignoreUnknownFields: true });
  }
  return references;
}
