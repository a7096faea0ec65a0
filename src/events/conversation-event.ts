import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { ConversationEventSchema, type ConversationEvent } from "../gen/google/cloud/dialogflow/v2/conversation_event_pb.js";
import { CONVERSATIONS, formatResourceName } from "../domain/names.js";
import type { OutboxEvent } from "../store/event-outbox.js";
import { toMessage, type MessageRow } from "../store/message-row.js";
import { encodeConversationEventBinary } from "./conversation-event-binary.js";

const NEW_MESSAGE = 5;

/** The ConversationEvent an outbox row stands for; the conversation named in its full form. */
export function toConversationEvent(event: OutboxEvent): ConversationEvent {
  const conversation = { project: event.project, location: event.location, id: event.conversationId };
  return create(ConversationEventSchema, {
    conversation: formatResourceName(conversation, CONVERSATIONS),
    type: event.eventType,
    payload:
      event.eventType === NEW_MESSAGE && event.message !== null
        ? { case: "newMessagePayload", value: toMessage(event.message as unknown as MessageRow, conversation) }
        : { case: undefined },
  });
}

/** The Pub/Sub message data: proto3 JSON when the profile asks for JSON, else the binary message (Google's default, PROTO). */
export function encodeConversationEvent(event: OutboxEvent): Uint8Array {
  // The profile's JSON spells the enum by name; a bootstrap file may give its number.
  if (event.messageFormat === "JSON" || event.messageFormat === "2") return new TextEncoder().encode(toJsonString(ConversationEventSchema, toConversationEvent(event)));
  return encodeConversationEventBinary(event) ?? toBinary(ConversationEventSchema, toConversationEvent(event));
}
