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

/** Fields gathered with their sizes, written into one buffer at the end. */
class FieldWriter {
  #parts: (number | string | FieldWriter)[] = [];
  /** Bytes the fields take. */
  size = 0;

  string(tag: number, value: string): void {
    if (value === "") return;
    const bytes = Buffer.byteLength(value);
    this.#parts.push(tag, bytes, value);
    this.size += 1 + varintSize(bytes) + bytes;
  }

  /** False for a value a varint field here cannot hold as toBinary would write it (negative, or past 2^53). */
  varint(tag: number, value: number): boolean {
    if (!Number.isSafeInteger(value) || value < 0) return false;
    if (value === 0) return true;
    this.#parts.push(tag, value);
    this.size += 1 + varintSize(value);
    return true;
  }

  nested(tag: number, fields: FieldWriter): void {
    this.#parts.push(tag, fields.size, fields);
    this.size += 1 + varintSize(fields.size) + fields.size;
  }

  finish(): Uint8Array {
    const buffer = Buffer.allocUnsafe(this.size);
    const end = this.#writeInto(buffer, 0);
    if (end !== this.size) throw new Error(`encoded ${end} bytes of ${this.size}`);
    return buffer;
  }

  #writeInto(buffer: Buffer, start: number): number {
    let at = start;
    const parts = this.#parts;
    // Each field is its tag, then a varint (a value or a length), then for a length its bytes.
    for (let index = 0; index < parts.length; ) {
      buffer[at++] = parts[index++] as number;
      at = writeVarint(buffer, at, parts[index++] as number);
      const body = parts[index];
      if (typeof body === "string") {
        at += buffer.write(body, at);
        index++;
      } else if (body instanceof FieldWriter) {
        at = body.#writeInto(buffer, at);
        index++;
      }
    }
    return at;
  }
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 128; rest = Math.floor(rest / 128)) size++;
  return size;
}

function writeVarint(buffer: Buffer, start: number, value: number): number {
  let at = start;
  let rest = value;
  while (rest >= 128) {
    buffer[at++] = (rest % 128) | 128;
    rest = Math.floor(rest / 128);
  }
  buffer[at++] = rest;
  return at;
}
