import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { ParticipantSchema, type Participant } from "../gen/google/cloud/dialogflow/v2/participant_pb.js";
import { PARTICIPANTS, formatConversationChildName, type ResourceName } from "../domain/names.js";

/** A participant as every participant query selects it (see PARTICIPANT_COLUMNS). */
export interface ParticipantRow {
  id: string;
  role: number;
  /** The proto3 JSON of every settable field but name and role (migration 007). */
  body: JsonObject;
  create_micros: number;
}

export const PARTICIPANT_COLUMNS = `id, role, body, floor(extract(epoch FROM create_time) * 1000000)::int8 AS create_micros`;

/**
 * The one place a database row becomes a Participant message, named under
 * `conversation` as the caller spelled it.
 */
export function toParticipant(row: ParticipantRow, conversation: ResourceName): Participant {
  // Fields a newer proto dropped are skipped rather than failing the read.
  const participant = fromJson(ParticipantSchema, row.body, { ignoreUnknownFields: true });
  participant.name = formatConversationChildName({ conversation, id: row.id }, PARTICIPANTS);
  participant.role = row.role;
  return participant;
}
