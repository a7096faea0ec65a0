import type { JsonObject } from "@bufbuild/protobuf";
import type { ConversationProfile } from "../gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { PreconditionError, ResourceNotFoundError } from "../domain/errors.js";
import { CONVERSATION_PROFILES, formatResourceName, storedLocation, type ParentName, type ResourceName } from "../domain/names.js";
import type { PageCursor } from "../domain/page-token.js";
import type { Database } from "./database.js";
import { PROFILE_COLUMNS, toProfile, type ProfileRow } from "./profile-row.js";
import { sqlTimestampFromMicros, toInterval } from "./timestamps.js";

/** The proto3 JSON of a profile's settable fields (no name, no output-only fields). */
export type ProfileBody = JsonObject;

export interface ProfilePage {
  readonly profiles: ConversationProfile[];
  readonly next: PageCursor | undefined;
}

export interface ProfileStore {
  create(name: ResourceName, body: ProfileBody): Promise<ConversationProfile>;
  get(name: ResourceName): Promise<ConversationProfile>;
  list(parent: ParentName, after: PageCursor | undefined, limit: number): Promise<ProfilePage>;
  /** Copies the fields at `jsonPaths` (dotted JSON names) from `patch`; a path absent from it is cleared. */
  update(name: ResourceName, patch: ProfileBody, jsonPaths: readonly string[]): Promise<ConversationProfile>;
  delete(name: ResourceName): Promise<void>;
}

export interface ProfileStoreOptions {
  /** Conversations older than this are completed, so they no longer hold a profile. */
  readonly ttlSeconds: number;
}

const CREATE = {
  name: "profile_create",
  text: `INSERT INTO conversation_profiles (project, location, id, body, create_time, update_time)
VALUES ($1, $2, $3, $4::jsonb, now(), now())
RETURNING ${PROFILE_COLUMNS}`,
};

const GET = {
  name: "profile_get",
  text: `SELECT ${PROFILE_COLUMNS} FROM conversation_profiles WHERE project = $1 AND location = $2 AND id = $3`,
};

const LIST = `SELECT ${PROFILE_COLUMNS} FROM conversation_profiles WHERE project = $1 AND location = $2`;
const LIST_ORDER = "ORDER BY create_time, id LIMIT $3";
const LIST_FIRST = { name: "profile_list", text: `${LIST} ${LIST_ORDER}` };
const LIST_AFTER = {
  name: "profile_list_after",
  text: `${LIST} AND (create_time, id) > (${sqlTimestampFromMicros("$4")}, $5) ${LIST_ORDER}`,
};

const UPDATE = {
  name: "profile_update",
  // jsonb_apply_mask (migration 004) merges in the statement itself: one round
  // trip, no lost update. update_time moves only when something changed.
  text: `UPDATE conversation_profiles SET body = jsonb_apply_mask(body, $4::jsonb, $5::text[]),
  update_time = CASE WHEN jsonb_apply_mask(body, $4::jsonb, $5::text[]) = body THEN update_time ELSE now() END
WHERE project = $1 AND location = $2 AND id = $3
RETURNING ${PROFILE_COLUMNS}`,
};

// One round trip to a function (migration 003) that locks the profile before
// checking for running conversations, so a concurrent create cannot slip in.
const DELETE = {
  name: "profile_delete",
  text: "SELECT delete_conversation_profile($1, $2, $3, $4::interval) AS outcome",
};

export function createProfileStore(database: Database, options: ProfileStoreOptions): ProfileStore {
  // Both spellings of a global name are one row (storedLocation).
  const key = (name: ResourceName) => [name.project, storedLocation(name), name.id];
  const notFound = (name: ResourceName) =>
    new ResourceNotFoundError("dialogflow.googleapis.com/ConversationProfile", formatResourceName(name, CONVERSATION_PROFILES));

  return {
    async create(name, body) {
      const [row] = await database.query<ProfileRow>(CREATE, [...key(name), JSON.stringify(body)]);
      if (row === undefined) throw new Error("INSERT ... RETURNING returned no row");
      return toProfile(row, name);
    },

    async get(name) {
      const [row] = await database.query<ProfileRow>(GET, key(name));
      if (row === undefined) throw notFound(name);
      return toProfile(row, name);
    },

    async list(parent, after, limit) {
      const values: unknown[] = [parent.project, storedLocation(parent), limit + 1];
      const rows =
        after === undefined
          ? await database.query<ProfileRow>(LIST_FIRST, values)
          : await database.query<ProfileRow>(LIST_AFTER, [...values, after.micros, after.id]);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        profiles: page.map((row) => toProfile(row, parent)),
        next: rows.length > limit && last !== undefined ? { micros: last.create_micros, id: last.id } : undefined,
      };
    },

    async update(name, patch, jsonPaths) {
      const [row] = await database.query<ProfileRow>(UPDATE, [...key(name), JSON.stringify(patch), jsonPaths]);
      if (row === undefined) throw notFound(name);
      return toProfile(row, name);
    },

    async delete(name) {
      const profileName = formatResourceName(name, CONVERSATION_PROFILES);
      const [row] = await database.query<{ outcome: "deleted" | "in_use" | "has_numbers" | "not_found" }>(DELETE, [
        ...key(name),
        toInterval(options.ttlSeconds),
      ]);
      switch (row?.outcome) {
        case "deleted":
          return;
        case "in_use":
          throw new PreconditionError(
            "PROFILE_IN_USE",
            profileName,
            `${profileName} is used by conversations in progress; complete them before deleting the profile`,
          );
        case "has_numbers":
          throw new PreconditionError(
            "PROFILE_HAS_PHONE_NUMBERS",
            profileName,
            `${profileName} has telephony numbers attached; empty its phoneNumbers in the bootstrap file before deleting the profile`,
          );
        default:
          throw notFound(name);
      }
    },
  };
}
