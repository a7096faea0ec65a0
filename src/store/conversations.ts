import type { Conversation } from "../gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { InvalidFieldError, ResourceExistsError, ResourceNotFoundError } from "../domain/errors.js";
import type { FilterExpr } from "../domain/filter.js";
import { CONVERSATIONS, CONVERSATION_PROFILES, formatResourceName, type ParentName, type ResourceName } from "../domain/names.js";
import type { PageCursor } from "../domain/page-token.js";
import {
  CONVERSATION_COLUMNS,
  EFFECTIVE_END_TIME,
  IS_VISIBLE,
  toConversation,
  type ConversationRow,
} from "./conversation-row.js";
import type { Database } from "./database.js";
import { compileFilter, type FilterColumns } from "./filter-sql.js";
import { sqlTimestampFromMicros, toInterval } from "./timestamps.js";

export interface ConversationStoreOptions {
  /** Running conversations complete by themselves this long after they start. */
  readonly ttlSeconds: number;
  /** Completed conversations disappear this long after they end. */
  readonly purgeAfterSeconds: number;
}

export interface NewConversation {
  readonly name: ResourceName;
  readonly profile: ResourceName;
  /** The stage the caller asked for (ConversationStage number; 0 lets the profile decide). */
  readonly requestedStage: number;
}

export interface ConversationPage {
  readonly conversations: Conversation[];
  /** Where the next page starts, or undefined when this page is the last. */
  readonly next: PageCursor | undefined;
}

export interface ConversationStore {
  create(conversation: NewConversation): Promise<Conversation>;
  get(name: ResourceName): Promise<Conversation>;
  complete(name: ResourceName): Promise<Conversation>;
  list(parent: ParentName, filter: FilterExpr | undefined, after: PageCursor | undefined, limit: number): Promise<ConversationPage>;
}

const STAGE_VIRTUAL_AGENT = 1;
const STAGE_HUMAN_ASSIST = 2;

// Every statement takes the time-to-live as $1 and, when it hides purged
// conversations, the purge delay as $2 (see conversation-row.ts).

// One round trip: look the profile up, decide the stage from it, and insert;
// the outer SELECT always returns one row, so a missing profile, a refused
// stage and a taken ID are told apart without a second query.
const CREATE = {
  name: "conversation_create",
  text: `
WITH profile AS (
  SELECT agent <> '' AS has_agent FROM conversation_profiles
  WHERE project = $2 AND location = $5 AND id = $6
), inserted AS (
  INSERT INTO conversations (project, location, id, conversation_profile, conversation_stage, start_time)
  SELECT $2, $3, $4, $7, CASE WHEN $8::int = ${STAGE_HUMAN_ASSIST} OR NOT has_agent THEN ${STAGE_HUMAN_ASSIST} ELSE ${STAGE_VIRTUAL_AGENT} END, now()
  FROM profile
  WHERE NOT ($8::int = ${STAGE_VIRTUAL_AGENT} AND NOT has_agent)
  ON CONFLICT DO NOTHING
  RETURNING *
)
SELECT (SELECT has_agent FROM profile) AS has_agent, ${CONVERSATION_COLUMNS}
FROM (VALUES (1)) AS one LEFT JOIN inserted ON true`,
};

const GET = {
  name: "conversation_get",
  text: `SELECT ${CONVERSATION_COLUMNS} FROM conversations
WHERE project = $3 AND location = $4 AND id = $5 AND ${IS_VISIBLE}`,
};

// The UPDATE matches a completed row too and leaves its end_time as it is:
// concurrent completes queue on the row lock and each re-reads the winner's
// end_time, so exactly one sets it and all return the same value. An expired
// conversation ends at its time-to-live, never later.
const COMPLETE = {
  name: "conversation_complete",
  text: `UPDATE conversations SET end_time = COALESCE(end_time, LEAST(now(), start_time + $1::interval))
WHERE project = $3 AND location = $4 AND id = $5 AND ${IS_VISIBLE}
RETURNING ${CONVERSATION_COLUMNS}`,
};

const FILTER_COLUMNS: FilterColumns = {
  lifecycle_state: `(CASE WHEN ${EFFECTIVE_END_TIME} IS NULL THEN 1 ELSE 2 END)`,
  conversation_stage: "conversation_stage",
  conversation_profile: "conversation_profile",
  start_time: "start_time",
  end_time: EFFECTIVE_END_TIME,
};

export function createConversationStore(database: Database, options: ConversationStoreOptions): ConversationStore {
  const ttl = toInterval(options.ttlSeconds);
  const lifetime = [ttl, toInterval(options.purgeAfterSeconds)];

  return {
    async create({ name, profile, requestedStage }) {
      const profileName = formatResourceName(profile, CONVERSATION_PROFILES);
      // A profile of another project is, from this project, one that does not exist.
      if (profile.project !== name.project) throw profileNotFound(profileName);
      const [row] = await database.query<ConversationRow & { has_agent: boolean | null }>(CREATE, [
        ttl,
        name.project,
        name.location,
        name.id,
        profile.location,
        profile.id,
        profileName,
        requestedStage,
      ]);
      if (row === undefined || row.has_agent === null) throw profileNotFound(profileName);
      if (row.id === null) {
        if (requestedStage === STAGE_VIRTUAL_AGENT && !row.has_agent) {
          throw new InvalidFieldError(
            "conversation.conversation_stage",
            `VIRTUAL_AGENT_STAGE needs a profile with an automated agent, and ${profileName} has none`,
          );
        }
        throw new ResourceExistsError("dialogflow.googleapis.com/Conversation", formatResourceName(name, CONVERSATIONS));
      }
      return toConversation(row);
    },

    async get(name) {
      const [row] = await database.query<ConversationRow>(GET, [...lifetime, name.project, name.location, name.id]);
      if (row === undefined) throw notFound(name);
      return toConversation(row);
    },

    async complete(name) {
      const [row] = await database.query<ConversationRow>(COMPLETE, [...lifetime, name.project, name.location, name.id]);
      if (row === undefined) throw notFound(name);
      return toConversation(row);
    },

    async list(parent, filter, after, limit) {
      const values: unknown[] = [...lifetime, parent.project, parent.location];
      const conditions = [`project = $3`, `location = $4`, IS_VISIBLE];
      if (after !== undefined) {
        values.push(after.micros, after.id);
        conditions.push(`(start_time, id) < (${sqlTimestampFromMicros(`$${values.length - 1}`)}, $${values.length})`);
      }
      if (filter !== undefined) conditions.push(compileFilter(filter, FILTER_COLUMNS, values));
      values.push(limit + 1);
      const text = `SELECT ${CONVERSATION_COLUMNS} FROM conversations
WHERE ${conditions.join(" AND ")}
ORDER BY start_time DESC, id DESC LIMIT $${values.length}`;
      // Unfiltered lists have two fixed shapes worth preparing; filtered ones vary without bound.
      const statementName = filter === undefined ? `conversation_list${after === undefined ? "" : "_after"}` : undefined;
      const rows = await database.query<ConversationRow>({ name: statementName, text }, values);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        conversations: page.map(toConversation),
        next: rows.length > limit && last !== undefined ? { micros: last.start_micros, id: last.id } : undefined,
      };
    },
  };
}

function notFound(name: ResourceName): ResourceNotFoundError {
  return new ResourceNotFoundError("dialogflow.googleapis.com/Conversation", formatResourceName(name, CONVERSATIONS));
}

function profileNotFound(profileName: string): ResourceNotFoundError {
  return new ResourceNotFoundError("dialogflow.googleapis.com/ConversationProfile", profileName);
}
