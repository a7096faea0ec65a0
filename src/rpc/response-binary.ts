import { toBinary, type DescMessage, type Message, type MessageShape } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { FieldWriter } from "../domain/binary-fields.js";
import {
  ConversationSchema,
  ListConversationsResponseSchema,
  type Conversation,
  type ConversationPhoneNumber,
  type ListConversationsResponse,
} from "../gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ConversationProfileSchema, type ConversationProfile } from "../gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";

// A response's binary form. A Conversation (the answer of Get, Create and
// Complete, and each of a list page's) is written field by field: the
// reflective encoder walked every field of it and of its profile snapshot on
// every call, which cost more than the rest of encoding the call. A snapshot
// shared by many conversations (frozen, see store/conversation-row.ts) is
// encoded once. The fields go in the order toBinary writes them, with proto3's
// rules for what is left out, so the bytes are toBinary's
// (test/response-encoding.test.ts); a value outside what is written here (a
// negative number, unknown fields, the fields the store never sets) goes to
// toBinary.

const NAME = (1 << 3) | 2;
const LIFECYCLE_STATE = (2 << 3) | 0;
const CONVERSATION_PROFILE = (3 << 3) | 2;
const PHONE_NUMBER = (4 << 3) | 2;
const START_TIME = (5 << 3) | 2;
const END_TIME = (6 << 3) | 2;
const CONVERSATION_STAGE = (7 << 3) | 0;
const INITIAL_CONVERSATION_PROFILE = (15 << 3) | 2;
const PHONE_COUNTRY_CODE = (2 << 3) | 0;
const PHONE_PHONE_NUMBER = (3 << 3) | 2;
const TIMESTAMP_SECONDS = (1 << 3) | 0;
const TIMESTAMP_NANOS = (2 << 3) | 0;
const LIST_CONVERSATIONS = (1 << 3) | 2;
const LIST_NEXT_PAGE_TOKEN = (2 << 3) | 2;

/** `message` (of `schema`) as protobuf's binary form. */
export function responseBinary<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  if (schema.typeName === ConversationSchema.typeName) return conversationBinary(message as unknown as Conversation);
  if (schema.typeName === ListConversationsResponseSchema.typeName) return listBinary(message as unknown as ListConversationsResponse);
  return toBinary(schema, message);
}

function conversationBinary(conversation: Conversation): Uint8Array {
  return conversationFields(conversation)?.finish() ?? toBinary(ConversationSchema, conversation);
}

function listBinary(response: ListConversationsResponse): Uint8Array {
  if (hasUnknown(response)) return toBinary(ListConversationsResponseSchema, response);
  const fields = new FieldWriter();
  for (const conversation of response.conversations) {
    const written = conversationFields(conversation);
    if (written === undefined) fields.bytes(LIST_CONVERSATIONS, toBinary(ConversationSchema, conversation));
    else fields.nested(LIST_CONVERSATIONS, written);
  }
  fields.string(LIST_NEXT_PAGE_TOKEN, response.nextPageToken);
  return fields.finish();
}

/** The conversation's fields; undefined when one of them is outside what is written here. */
function conversationFields(conversation: Conversation): FieldWriter | undefined {
  if (
    hasUnknown(conversation) ||
    conversation.telephonyConnectionInfo !== undefined ||
    Object.keys(conversation.ingestedContextReferences).length > 0 ||
    Object.keys(conversation.initialGeneratorContexts).length > 0
  ) {
    return undefined;
  }
  const fields = new FieldWriter();
  fields.string(NAME, conversation.name);
  if (!fields.varint(LIFECYCLE_STATE, conversation.lifecycleState)) return undefined;
  fields.string(CONVERSATION_PROFILE, conversation.conversationProfile);
  if (conversation.phoneNumber !== undefined) {
    const phone = phoneFields(conversation.phoneNumber);
    if (phone === undefined) return undefined;
    fields.nested(PHONE_NUMBER, phone);
  }
  if (!timestampField(fields, START_TIME, conversation.startTime) || !timestampField(fields, END_TIME, conversation.endTime)) return undefined;
  if (!fields.varint(CONVERSATION_STAGE, conversation.conversationStage)) return undefined;
  if (conversation.initialConversationProfile !== undefined) fields.bytes(INITIAL_CONVERSATION_PROFILE, profileBinary(conversation.initialConversationProfile));
  return fields;
}

function phoneFields(phone: ConversationPhoneNumber): FieldWriter | undefined {
  if (hasUnknown(phone)) return undefined;
  const fields = new FieldWriter();
  if (!fields.varint(PHONE_COUNTRY_CODE, phone.countryCode)) return undefined;
  fields.string(PHONE_PHONE_NUMBER, phone.phoneNumber);
  return fields;
}

/** False for a time outside what is written here (before 1970, or with unknown fields). */
function timestampField(fields: FieldWriter, tag: number, time: Timestamp | undefined): boolean {
  if (time === undefined) return true;
  if (hasUnknown(time) || time.seconds > BigInt(Number.MAX_SAFE_INTEGER)) return false;
  const timestamp = new FieldWriter();
  if (!timestamp.varint(TIMESTAMP_SECONDS, Number(time.seconds)) || !timestamp.varint(TIMESTAMP_NANOS, time.nanos)) return false;
  fields.nested(tag, timestamp);
  return true;
}

// A frozen snapshot cannot change, so its bytes are kept as long as it is.
const profileBytes = new WeakMap<ConversationProfile, Uint8Array>();

function profileBinary(profile: ConversationProfile): Uint8Array {
  if (!Object.isFrozen(profile)) return toBinary(ConversationProfileSchema, profile);
  let bytes = profileBytes.get(profile);
  if (bytes === undefined) {
    bytes = toBinary(ConversationProfileSchema, profile);
    profileBytes.set(profile, bytes);
  }
  return bytes;
}

function hasUnknown(message: Message): boolean {
  return message.$unknown !== undefined && message.$unknown.length > 0;
}
