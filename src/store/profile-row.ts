import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { ConversationProfileSchema, type ConversationProfile } from "../gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { CONVERSATION_PROFILES, formatResourceName, type ParentName } from "../domain/names.js";
import { timestampFromMicros } from "./timestamps.js";

/** A profile as every profile query selects it (see PROFILE_COLUMNS). */
export interface ProfileRow {
  project: string;
  location: string;
  id: string;
  /** The proto3 JSON of every field but name and the times (migration 004). */
  body: JsonObject;
  create_micros: number;
  update_micros: number;
}

export const PROFILE_COLUMNS = `project, location, id, body,
  floor(extract(epoch FROM create_time) * 1000000)::int8 AS create_micros,
  floor(extract(epoch FROM update_time) * 1000000)::int8 AS update_micros`;

/**
 * The one place a database row becomes a ConversationProfile message, named in
 * the form of `as` (the caller's spelling of its parent).
 */
export function toProfile(row: ProfileRow, as: ParentName): ConversationProfile {
  // Fields a newer proto dropped are skipped rather than failing the read.
  const profile = fromJson(ConversationProfileSchema, row.body, { ignoreUnknownFields: true });
  profile.name = formatResourceName({ project: row.project, location: as.location, id: row.id }, CONVERSATION_PROFILES);
  profile.createTime = timestampFromMicros(row.create_micros);
  profile.updateTime = timestampFromMicros(row.update_micros);
  return profile;
}
