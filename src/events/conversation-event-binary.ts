import { FieldWriter } from "../domain/binary-fields.js";
import { CONVERSATIONS, MESSAGES, PARTICIPANTS, formatConversationChildName, formatResourceName } from "../domain/names.js";
import type { OutboxEvent } from "../store/event-outbox.js";
import type { MessageRow } from "../store/message-row.js";

// A ConversationEvent's binary form written straight from its outbox row:
// the relay encodes every event it publishes, and building the message for
// the reflective encoder first cost more than writing its few fields. The
// fields go in the order protobuf-es writes them (the .proto's), with its
// rules for what is left out (proto3: empty strings and zero numbers), so the
// bytes are toBinary's; test/conversation-event-encoding.test.ts holds it to that.

const NEW_MESSAGE = 5;

// Wire types: 0 varint, 2 length-delimited; a tag is field << 3 | type.
const CONVERSATION = (1 << 3) | 2;
const TYPE = (2 << 3) | 0;
const NEW_MESSAGE_PAYLOAD = (4 << 3) | 2;
const MESSAGE_NAME = (1 << 3) | 2;
const MESSAGE_CONTENT = (2 << 3) | 2;
const MESSAGE_LANGUAGE_CODE = (3 << 3) | 2;
const MESSAGE_PARTICIPANT = (4 << 3) | 2;
const MESSAGE_PARTICIPANT_ROLE = (5 << 3) | 0;
const MESSAGE_CREATE_TIME = (6 << 3) | 2;
const TIMESTAMP_SECONDS = (1 << 3) | 0;
const TIMESTAMP_NANOS = (2 << 3) | 0;

/** The event's bytes; undefined for a row outside what this writes (then toBinary must). */
export function encodeConversationEventBinary(event: OutboxEvent): Uint8Array | undefined {
  const conversation = { project: event.project, location: event.location, id: event.conversationId };
  const fields = new FieldWriter();
  fields.string(CONVERSATION, formatResourceName(conversation, CONVERSATIONS));
  if (!fields.varint(TYPE, event.eventType)) return undefined;
  if (event.eventType === NEW_MESSAGE && event.message !== null) {
    const row = event.message as unknown as MessageRow;
    const seconds = Math.floor(row.create_micros / 1_000_000);
    const timestamp = new FieldWriter();
    if (!timestamp.varint(TIMESTAMP_SECONDS, seconds) || !timestamp.varint(TIMESTAMP_NANOS, (row.create_micros - seconds * 1_000_000) * 1000)) return undefined;
    const message = new FieldWriter();
    message.string(MESSAGE_NAME, formatConversationChildName({ conversation, id: row.id }, MESSAGES));
    message.string(MESSAGE_CONTENT, row.content);
    message.string(MESSAGE_LANGUAGE_CODE, row.language_code);
    // An automated reply in a conversation with no AUTOMATED_AGENT participant has none (as toMessage).
    message.string(MESSAGE_PARTICIPANT, row.participant_id === "" ? "" : formatConversationChildName({ conversation, id: row.participant_id }, PARTICIPANTS));
    if (!message.varint(MESSAGE_PARTICIPANT_ROLE, row.participant_role)) return undefined;
    message.nested(MESSAGE_CREATE_TIME, timestamp);
    fields.nested(NEW_MESSAGE_PAYLOAD, message);
  }
  return fields.finish();
}
