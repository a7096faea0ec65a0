import { toJson, type DescMessage, type JsonObject, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import {
  ConversationSchema,
  ListConversationsResponseSchema,
  type Conversation,
  type ListConversationsResponse,
} from "../gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ConversationProfileSchema, type ConversationProfile } from "../gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";

// A response's JSON form (REST, Connect JSON). As for the binary form
// (response-binary.ts), a conversation's frozen profile snapshot, shared by
// many conversations, is turned into JSON once; the rest is toJson's. The keys
// come in toJson's order, so the text is toJson's (test/response-encoding.test.ts).

export interface ResponseJsonOptions {
  /** Enums as numbers, as Google's clients ask with $alt=json;enum-encoding=int. */
  readonly enumAsInteger?: boolean;
}

export function responseJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, options: ResponseJsonOptions = {}): JsonValue {
  if (schema.typeName === ConversationSchema.typeName) return conversationJson(message as unknown as Conversation, options);
  if (schema.typeName === ListConversationsResponseSchema.typeName) return listJson(message as unknown as ListConversationsResponse, options);
  return toJson(schema, message, options);
}

function listJson(response: ListConversationsResponse, options: ResponseJsonOptions): JsonValue {
  const json: JsonObject = {};
  // proto3 JSON leaves out an empty list and an empty string.
  if (response.conversations.length > 0) json["conversations"] = response.conversations.map((conversation) => conversationJson(conversation, options));
  if (response.nextPageToken !== "") json["nextPageToken"] = response.nextPageToken;
  return json;
}

function conversationJson(conversation: Conversation, options: ResponseJsonOptions): JsonValue {
  const profile = conversation.initialConversationProfile;
  if (profile === undefined || !Object.isFrozen(profile)) return toJson(ConversationSchema, conversation, options);
  const { ingestedContextReferences, initialGeneratorContexts, ...before } = toJson(ConversationSchema, { ...conversation, initialConversationProfile: undefined }, options) as JsonObject;
  const json: JsonObject = { ...before, initialConversationProfile: profileJson(profile, options.enumAsInteger === true) };
  // The fields after the snapshot's (17 and 18), where toJson puts them.
  if (ingestedContextReferences !== undefined) json["ingestedContextReferences"] = ingestedContextReferences;
  if (initialGeneratorContexts !== undefined) json["initialGeneratorContexts"] = initialGeneratorContexts;
  return json;
}

// A frozen snapshot cannot change: its JSON, in both enum spellings, is kept as long as it is.
const profileJsons = new WeakMap<ConversationProfile, { names?: JsonValue; numbers?: JsonValue }>();

function profileJson(profile: ConversationProfile, enumAsInteger: boolean): JsonValue {
  let kept = profileJsons.get(profile);
  if (kept === undefined) {
    kept = {};
    profileJsons.set(profile, kept);
  }
  if (enumAsInteger) return (kept.numbers ??= toJson(ConversationProfileSchema, profile, { enumAsInteger }));
  return (kept.names ??= toJson(ConversationProfileSchema, profile));
}
