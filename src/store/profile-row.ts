import { create } from "@bufbuild/protobuf";
import {
  AutomatedAgentConfigSchema,
  ConversationProfileSchema,
  type ConversationProfile,
} from "../gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { CONVERSATION_PROFILES, formatResourceName } from "../domain/names.js";
import { timestampFromMicros } from "./timestamps.js";

/** A profile as every profile query selects it (see PROFILE_COLUMNS). */
export interface ProfileRow {
  project: string;
  location: string;
  id: string;
  display_name: string;
  agent: string;
  language_code: string;
  time_zone: string;
  create_micros: number;
  update_micros: number;
}

export const PROFILE_COLUMNS = `project, location, id, display_name, agent, language_code, time_zone,
  floor(extract(epoch FROM create_time) * 1000000)::int8 AS create_micros,
  floor(extract(epoch FROM update_time) * 1000000)::int8 AS update_micros`;

/** The one place a database row becomes a ConversationProfile message. */
export function toProfile(row: ProfileRow): ConversationProfile {
  return create(ConversationProfileSchema, {
    name: formatResourceName(row, CONVERSATION_PROFILES),
    displayName: row.display_name,
    automatedAgentConfig: row.agent === "" ? undefined : create(AutomatedAgentConfigSchema, { agent: row.agent }),
    languageCode: row.language_code,
    timeZone: row.time_zone,
    createTime: timestampFromMicros(row.create_micros),
    updateTime: timestampFromMicros(row.update_micros),
  });
}
