import { create } from "@bufbuild/protobuf";
import { MessageSchema, type Message } from "../gen/google/cloud/dialogflow/v2/participant_pb.js";
import { MESSAGES, PARTICIPANTS, formatConversationChildName, type ResourceName } from "../domain/names.js";
import { timestampFromMicros } from "./timestamps.js";

/** A message as every message query selects it (see MESSAGE_COLUMNS). */
export interface MessageRow {
  id: string;
  participant_id: string;
  participant_role: number;
  content: string;
  language_code: string;
  create_micros: number;
}

export const MESSAGE_COLUMNS = `id, participant_id, participant_role, content, language_code,
  floor(extract(epoch FROM create_time) * 1000000)::int8 AS create_micros`;

/**
 * The one place a database row becomes a Message, named (with its
 * participant) under `conversation` as the caller spelled it.
 */
export function toMessage(row: MessageRow, conversation: ResourceName): Message {
  return create(MessageSchema, {
    name: formatConversationChildName({ conversation, id: row.id }, MESSAGES),
    content: row.content,
    languageCode: row.language_code,
    // An automated reply in a conversation with no AUTOMATED_AGENT participant has none.
    participant: row.participant_id === "" ? "" : formatConversationChildName({ conversation, id: row.participant_id }, PARTICIPANTS),
    participantRole: row.participant_role,
    createTime: timestampFromMicros(row.create_micros),
  });
}
