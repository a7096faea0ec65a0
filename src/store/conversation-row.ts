import { create, fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { timestampFromMicros } from "./timestamps.js";
import {
  ConversationPhoneNumberSchema,
  ConversationSchema,
  Conversation_ContextReferenceSchema,
  Conversation_LifecycleState,
  type Conversation,
  type Conversation_ContextReference,
} from "../gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ConversationProfileSchema, type ConversationProfile } from "../gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
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
  /**
   * The profile's JSON with its times when the conversation started (migration 005), as text (see
   * initialProfile); null for older rows whose profile was gone.
   */
  initial_profile: string | null;
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
  initial_profile::text AS initial_profile, context_references`;

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
    initialConversationProfile: row.initial_profile === null ? undefined : initialProfile(row.conversation_profile, row.initial_profile),
    ingestedContextReferences: toContextReferences(row.context_references),
  });
}

// The conversations started under one profile, unchanged since, carry the same
// snapshot: it is parsed (JSON, then a message) once, not on every read of
// each of them. The message is shared by every answer that holds it, so it is
// frozen: nothing may change it after it leaves here.
const SNAPSHOTS_KEPT = 256;
const snapshots = new Map<string, ConversationProfile>();

function initialProfile(name: string, json: string): ConversationProfile {
  const key = `${name} ${json}`;
  let profile = snapshots.get(key);
  if (profile === undefined) {
    profile = deepFreeze({ ...fromJson(ConversationProfileSchema, JSON.parse(json) as JsonValue, { ignoreUnknownFields: true }), name });
    // The oldest goes first: a profile updated often leaves its old snapshots behind.
    if (snapshots.size >= SNAPSHOTS_KEPT) snapshots.delete(snapshots.keys().next().value as string);
    snapshots.set(key, profile);
  }
  return profile;
}

function deepFreeze<T extends object>(value: T): T {
  for (const field of Object.values(value)) {
    // A bytes field's array cannot be frozen; nothing here writes one.
    if (typeof field === "object" && field !== null && !ArrayBuffer.isView(field) && !Object.isFrozen(field)) deepFreeze(field as object);
  }
  return Object.freeze(value);
}

export function toContextReferences(json: JsonObject): Record<string, Conversation_ContextReference> {
  const references: Record<string, Conversation_ContextReference> = {};
  for (const [key, value] of Object.entries(json)) {
    if (value !== null) references[key] = fromJson(Conversation_ContextReferenceSchema, value, { ignoreUnknownFields: true });
  }
  return references;
}
