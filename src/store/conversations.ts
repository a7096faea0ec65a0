import type { JsonObject } from "@bufbuild/protobuf";
import type { Conversation, Conversation_ContextReference } from "../gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ExhaustedError, InvalidFieldError, ResourceExistsError, ResourceNotFoundError } from "../domain/errors.js";
import type { FilterExpr } from "../domain/filter.js";
import {
  CONVERSATIONS,
  CONVERSATION_PROFILES,
  formatResourceName,
  storedLocation,
  type ParentName,
  type ResourceName,
} from "../domain/names.js";
import type { PageCursor } from "../domain/page-token.js";
import { CONVERSATION_COLUMNS, IS_VISIBLE, toContextReferences, toConversation, type ConversationRow } from "./conversation-row.js";
import { conversationListPage, conversationListStatement, type ListedRow } from "./conversation-list.js";
import { currentCallSignal, withCallSignal } from "./call-signal.js";
import type { Database } from "./database.js";
import { createCallBatcher } from "./call-batcher.js";
import { EVENT_CONVERSATION_FINISHED, EVENT_CONVERSATION_STARTED, eventsWrittenBy, insertConversationEvents } from "./event-outbox-sql.js";
import { toInterval } from "./timestamps.js";

export interface ConversationStoreOptions {
  /** Running conversations complete by themselves this long after they start. */
  readonly ttlSeconds: number;
  /** Completed conversations disappear this long after they end. */
  readonly purgeAfterSeconds: number;
  /**
   * Most rows one list call examines (see bounded-scan.ts): a filter its index
   * range does not answer ends the page early there, with a token to go on.
   */
  readonly listScanRows?: number;
}

/** Rows a list call examines when the options do not say. */
export const DEFAULT_LIST_SCAN_ROWS = 10_000;

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
  /**
   * Stores context references (proto3 JSON by key, output-only fields left
   * out) on the conversation and returns every reference it now holds.
   */
  ingestContextReferences(name: ResourceName, references: JsonObject): Promise<Record<string, Conversation_ContextReference>>;
}

const STAGE_VIRTUAL_AGENT = 1;
const STAGE_HUMAN_ASSIST = 2;

// Every statement takes the time-to-live as $1 and, when it hides purged
// conversations, the purge delay as $2 (see conversation-row.ts).

/** The profile row `table` as kept in initial_conversation_profile: its JSON with its times. */
function profileSnapshot(table: string): string {
  const rfc3339 = (column: string) => `to_char(${table}.${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  return `${table}.body || jsonb_build_object('createTime', ${rfc3339("create_time")}, 'updateTime', ${rfc3339("update_time")})`;
}

// The conversation's key is $2 project, $3 stored location, $4 id; the profile
// is $5 (an ID in the same project and location), $6 its name as the caller
// wrote it, $7 the requested stage.
//
// One round trip: look the profile up, decide the stage from it, take a free
// telephony number when the profile has numbers, and insert. The outer SELECT
// always returns one row, so a missing profile, a refused stage, a taken ID
// and exhausted numbers are told apart without a second query. A profile with
// a notification topic gets CONVERSATION_STARTED in the outbox by the insert.
//
// A number is taken by writing its holder on the number's own row, chosen
// FOR UPDATE SKIP LOCKED: concurrent creates skip a number another is taking,
// and one that was taken after this statement's snapshot fails the re-check
// of held_until on the locked row, so no number gets two holders.
const CREATE = {
  name: "conversation_create",
  writesEvents: true,
  text: `
WITH profile AS (
  SELECT agent <> '' AS has_agent,
    EXISTS (SELECT 1 FROM profile_phone_numbers WHERE project = $2 AND location = $3 AND profile_id = $5) AS has_numbers,
    ${profileSnapshot("conversation_profiles")} AS snapshot
  FROM conversation_profiles
  WHERE project = $2 AND location = $3 AND id = $5
  -- Held until the insert commits: a concurrent profile delete waits for it (see migration 003).
  FOR KEY SHARE
), accepted AS (
  SELECT has_agent FROM profile
  WHERE NOT ($7::int = ${STAGE_VIRTUAL_AGENT} AND NOT has_agent)
    AND NOT EXISTS (SELECT 1 FROM conversations WHERE project = $2 AND location = $3 AND id = $4)
), number AS (
  UPDATE profile_phone_numbers SET holder_location = $3, holder_id = $4, held_until = now() + $1::interval
  WHERE phone_number = (
    SELECT phone_number FROM profile_phone_numbers
    WHERE project = $2 AND location = $3 AND profile_id = $5 AND (held_until IS NULL OR held_until <= now())
      AND EXISTS (SELECT 1 FROM accepted)
    ORDER BY phone_number
    LIMIT 1
    FOR UPDATE SKIP LOCKED
  ) AND (held_until IS NULL OR held_until <= now())
  RETURNING phone_number
), inserted AS (
  INSERT INTO conversations (project, location, id, conversation_profile, profile_location, profile_id, initial_profile,
    conversation_stage, start_time, phone_number)
  SELECT $2, $3, $4, $6, $3, $5, snapshot,
    CASE WHEN $7::int = ${STAGE_HUMAN_ASSIST} OR NOT has_agent THEN ${STAGE_HUMAN_ASSIST} ELSE ${STAGE_VIRTUAL_AGENT} END,
    now(), (SELECT phone_number FROM number)
  FROM profile
  WHERE EXISTS (SELECT 1 FROM accepted) AND (NOT has_numbers OR EXISTS (SELECT 1 FROM number))
  ON CONFLICT DO NOTHING
  RETURNING *
), started AS (
  ${insertConversationEvents(EVENT_CONVERSATION_STARTED, "inserted")}
)
SELECT (SELECT has_agent FROM profile) AS has_agent, (SELECT has_numbers FROM profile) AS has_numbers,
  (SELECT phone_number FROM number) AS assigned_number,
  EXISTS (SELECT 1 FROM conversations WHERE project = $2 AND location = $3 AND id = $4) AS taken,
  ${eventsWrittenBy("started")},
  ${CONVERSATION_COLUMNS}
FROM (VALUES (1)) AS one LEFT JOIN inserted ON true`,
};

// CREATE for many conversations at once (see call-batcher.ts): $2..$7 are
// arrays of CREATE's parameters, one entry per conversation; every entry gets
// one row back, key_index (from 1) says which. Each entry is decided as CREATE
// decides it. Also:
// - an ID asked for twice in one batch goes to its first entry; the others see it taken;
// - each profile locks as many free numbers as it has entries wanting one,
//   FOR UPDATE SKIP LOCKED as CREATE does, and the n-th entry gets the n-th;
// - rows are inserted in key order, so two batches racing for the same IDs
//   wait on each other in one order and cannot deadlock.
const CREATE_MANY = {
  name: "conversation_create_many",
  writesEvents: true,
  text: `
WITH request AS (
  SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[]) WITH ORDINALITY
    AS r(project, location, id, profile_id, profile_name, stage, key_index)
), profile AS (
  SELECT p.project, p.location, p.id, p.agent <> '' AS has_agent,
    EXISTS (SELECT 1 FROM profile_phone_numbers n WHERE n.project = p.project AND n.location = p.location AND n.profile_id = p.id) AS has_numbers,
    ${profileSnapshot("p")} AS snapshot
  FROM conversation_profiles p
  WHERE (p.project, p.location, p.id) IN (SELECT project, location, profile_id FROM request)
  FOR KEY SHARE
), asked AS (
  SELECT r.*, pr.has_agent, pr.has_numbers, pr.snapshot,
    EXISTS (SELECT 1 FROM conversations c WHERE c.project = r.project AND c.location = r.location AND c.id = r.id)
      OR EXISTS (SELECT 1 FROM request earlier
        WHERE earlier.project = r.project AND earlier.location = r.location AND earlier.id = r.id AND earlier.key_index < r.key_index) AS taken
  FROM request r LEFT JOIN profile pr ON pr.project = r.project AND pr.location = r.location AND pr.id = r.profile_id
), accepted AS (
  SELECT * FROM asked
  WHERE has_agent IS NOT NULL AND NOT (stage = ${STAGE_VIRTUAL_AGENT} AND NOT has_agent) AND NOT taken
), wanting AS (
  SELECT key_index, project, location, id, profile_id,
    row_number() OVER (PARTITION BY project, location, profile_id ORDER BY key_index) AS nth
  FROM accepted WHERE has_numbers
), locked AS (
  SELECT demand.project, demand.location, demand.profile_id, free.phone_number
  FROM (SELECT project, location, profile_id, count(*) AS wanted FROM wanting GROUP BY project, location, profile_id) AS demand
  CROSS JOIN LATERAL (
    SELECT phone_number FROM profile_phone_numbers
    WHERE project = demand.project AND location = demand.location AND profile_id = demand.profile_id
      AND (held_until IS NULL OR held_until <= now())
    ORDER BY phone_number
    LIMIT demand.wanted
    FOR UPDATE SKIP LOCKED
  ) AS free
), paired AS (
  SELECT w.key_index, w.location, w.id, l.phone_number
  FROM wanting w JOIN (
    SELECT *, row_number() OVER (PARTITION BY project, location, profile_id ORDER BY phone_number) AS nth FROM locked
  ) AS l ON l.project = w.project AND l.location = w.location AND l.profile_id = w.profile_id AND l.nth = w.nth
), number AS (
  UPDATE profile_phone_numbers AS n SET holder_location = paired.location, holder_id = paired.id, held_until = now() + $1::interval
  FROM paired
  WHERE n.phone_number = paired.phone_number AND (n.held_until IS NULL OR n.held_until <= now())
  RETURNING paired.key_index, n.phone_number
), inserted AS (
  INSERT INTO conversations (project, location, id, conversation_profile, profile_location, profile_id, initial_profile,
    conversation_stage, start_time, phone_number)
  SELECT a.project, a.location, a.id, a.profile_name, a.location, a.profile_id, a.snapshot,
    CASE WHEN a.stage = ${STAGE_HUMAN_ASSIST} OR NOT a.has_agent THEN ${STAGE_HUMAN_ASSIST} ELSE ${STAGE_VIRTUAL_AGENT} END,
    now(), number.phone_number
  FROM accepted a LEFT JOIN number ON number.key_index = a.key_index
  WHERE NOT a.has_numbers OR number.phone_number IS NOT NULL
  ORDER BY a.project, a.location, a.id
  ON CONFLICT DO NOTHING
  RETURNING *
), started AS (
  ${insertConversationEvents(EVENT_CONVERSATION_STARTED, "inserted")}
)
SELECT asked.key_index, asked.has_agent, asked.has_numbers, number.phone_number AS assigned_number, asked.taken,
  ${eventsWrittenBy("started")}, created.*
FROM asked
LEFT JOIN number ON number.key_index = asked.key_index
LEFT JOIN LATERAL (
  SELECT ${CONVERSATION_COLUMNS} FROM inserted
  WHERE NOT asked.taken AND inserted.project = asked.project AND inserted.location = asked.location AND inserted.id = asked.id
) AS created ON true`,
};

/** Most conversations one CREATE_MANY inserts. */
const MAX_CREATE_BATCH = 64;

const NOW_RFC3339 = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

// One UPDATE merges the references by key: APPEND adds the new contents after
// the stored ones, OVERWRITE replaces them; every new content gets its
// ingestion_time, a reference keeps the create_time of its first ingestion,
// and language_code is replaced when sent (kept by APPEND when not). The row
// lock orders concurrent ingestions, so none is lost.
const INGEST_CONTEXT_REFERENCES = {
  name: "conversation_ingest_context_references",
  text: `UPDATE conversations AS c SET context_references = c.context_references || (
  SELECT jsonb_object_agg(incoming.key, jsonb_strip_nulls(jsonb_build_object(
    'contextContents',
      CASE WHEN incoming.value ->> 'updateMode' = 'APPEND' THEN COALESCE(c.context_references -> incoming.key -> 'contextContents', '[]') ELSE '[]' END
      || (SELECT jsonb_agg(content || jsonb_build_object('ingestionTime', ${NOW_RFC3339}))
          FROM jsonb_array_elements(incoming.value -> 'contextContents') AS content),
    'updateMode', incoming.value -> 'updateMode',
    'languageCode', COALESCE(incoming.value -> 'languageCode',
      CASE WHEN incoming.value ->> 'updateMode' = 'APPEND' THEN c.context_references -> incoming.key -> 'languageCode' END),
    'createTime', COALESCE(c.context_references -> incoming.key -> 'createTime', to_jsonb(${NOW_RFC3339})))))
  FROM jsonb_each($6::jsonb) AS incoming)
WHERE project = $3 AND location = $4 AND id = $5 AND ${IS_VISIBLE}
RETURNING context_references`,
};

const GET = {
  name: "conversation_get",
  text: `SELECT ${CONVERSATION_COLUMNS} FROM conversations
WHERE project = $3 AND location = $4 AND id = $5 AND ${IS_VISIBLE}`,
};

// GET for many keys at once (see call-batcher.ts): $3, $4, $5 are arrays of
// projects, stored locations and IDs; key_index (from 1) says which key a row
// answers. The lateral subquery makes it one index lookup per key.
const GET_MANY = {
  name: "conversation_get_many",
  text: `SELECT key.key_index, found.* FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS key(project, location, id, key_index)
CROSS JOIN LATERAL (SELECT ${CONVERSATION_COLUMNS} FROM conversations
  WHERE project = key.project AND location = key.location AND id = key.id AND ${IS_VISIBLE}) AS found`,
};

/** Most keys one GET_MANY looks up. */
const MAX_GET_BATCH = 128;

// The UPDATE matches a completed row too and leaves its end_time as it is:
// concurrent completes queue on the row lock and each re-reads the winner's
// end_time, so exactly one sets it and all return the same value. An expired
// conversation ends at its time-to-live, never later. The same statement hands
// the conversation's telephony number back, and writes CONVERSATION_FINISHED
// for every complete, of a completed conversation too (as Google documents).
const COMPLETE = {
  name: "conversation_complete",
  writesEvents: true,
  text: `
WITH completed AS (
  UPDATE conversations SET end_time = COALESCE(end_time, LEAST(now(), start_time + $1::interval))
  WHERE project = $3 AND location = $4 AND id = $5 AND ${IS_VISIBLE}
  RETURNING *
), released AS (
  UPDATE profile_phone_numbers SET holder_location = NULL, holder_id = NULL, held_until = NULL
  WHERE project = $3 AND holder_location = $4 AND holder_id = $5 AND EXISTS (SELECT 1 FROM completed)
), finished AS (
  ${insertConversationEvents(EVENT_CONVERSATION_FINISHED, "completed")}
)
SELECT ${CONVERSATION_COLUMNS}, ${eventsWrittenBy("finished")} FROM completed`,
};

/** What CREATE returns: the new row (all NULL when nothing was inserted) and why not. */
type CreateOutcome = ConversationRow & {
  has_agent: boolean | null;
  has_numbers: boolean | null;
  assigned_number: string | null;
  taken: boolean;
};

/** The rows of a *_MANY statement in the order of its keys; a key no row answers is undefined. */
function byKeyIndex<Row>(rows: readonly (Row & { key_index: number })[], keys: number): (Row | undefined)[] {
  const ordered: (Row | undefined)[] = new Array(keys);
  for (const row of rows) ordered[row.key_index - 1] = row;
  return ordered;
}

/** A conversation to create, as CREATE's parameters describe it. */
interface CreateRequest {
  readonly name: ResourceName;
  readonly profileId: string;
  readonly profileName: string;
  readonly requestedStage: number;
}

/** CREATE's parameters after the time-to-live: $2 to $7. */
function createValues({ name, profileId, profileName, requestedStage }: CreateRequest): [string, string, string, string, string, number] {
  return [name.project, storedLocation(name), name.id, profileId, profileName, requestedStage];
}

export function createConversationStore(database: Database, options: ConversationStoreOptions): ConversationStore {
  const ttl = toInterval(options.ttlSeconds);
  const lifetime = [ttl, toInterval(options.purgeAfterSeconds)];
  const scanRows = options.listScanRows ?? DEFAULT_LIST_SCAN_ROWS;
  // The signal reaches the statement as the call's own would (see call-signal.ts): it is read when the query starts.
  const getBatched = createCallBatcher<ResourceName, ConversationRow>((names, signal) => withCallSignal(signal, () => getMany(names)), MAX_GET_BATCH);
  const createBatched = createCallBatcher<CreateRequest, CreateOutcome>(
    (requests, signal) => withCallSignal(signal, () => createMany(requests)),
    MAX_CREATE_BATCH,
  );

  // A single key's statement is returned as it is, without an async layer of its own (one call at a time, every call is one).
  function getMany(names: readonly ResourceName[]): Promise<(ConversationRow | undefined)[]> {
    if (names.length === 1) {
      const [name] = names as [ResourceName];
      return database.query<ConversationRow>(GET, [...lifetime, name.project, storedLocation(name), name.id]);
    }
    return getSeveral(names);
  }

  async function getSeveral(names: readonly ResourceName[]): Promise<(ConversationRow | undefined)[]> {
    const rows = await database.query<ConversationRow & { key_index: number }>(GET_MANY, [
      ...lifetime,
      names.map((name) => name.project),
      names.map(storedLocation),
      names.map((name) => name.id),
    ]);
    return byKeyIndex(rows, names.length);
  }

  function createMany(requests: readonly CreateRequest[]): Promise<(CreateOutcome | undefined)[]> {
    if (requests.length === 1) return database.query<CreateOutcome>(CREATE, [ttl, ...createValues(requests[0] as CreateRequest)]);
    return createSeveral(requests);
  }

  async function createSeveral(requests: readonly CreateRequest[]): Promise<(CreateOutcome | undefined)[]> {
    const columns = requests.map(createValues);
    const rows = await database.query<CreateOutcome & { key_index: number }>(CREATE_MANY, [
      ttl,
      ...columns[0]!.map((_, column) => columns.map((values) => values[column])),
    ]);
    return byKeyIndex(rows, requests.length);
  }

  return {
    async create({ name, profile, requestedStage }) {
      const profileName = formatResourceName(profile, CONVERSATION_PROFILES);
      // A profile of another project is, from this project, one that does not exist.
      if (profile.project !== name.project) throw profileNotFound(profileName);
      if (storedLocation(profile) !== storedLocation(name)) throw new Error("the service checks the profile's location");
      const asked: CreateRequest = { name, profileId: profile.id, profileName, requestedStage };
      const row = await createBatched(asked, currentCallSignal());
      if (row === undefined || row.has_agent === null) throw profileNotFound(profileName);
      if (row.id === null) {
        if (requestedStage === STAGE_VIRTUAL_AGENT && !row.has_agent) {
          throw new InvalidFieldError(
            "conversation.conversation_stage",
            `VIRTUAL_AGENT_STAGE needs a profile with an automated agent, and ${profileName} has none`,
            "PROFILE_HAS_NO_AGENT",
            { conversationProfile: profileName },
          );
        }
        // No number was free, unless the ID was taken (then no number was looked for,
        // or the one taken lost the insert to a concurrent create of the same ID).
        if (row.has_numbers && !row.taken && row.assigned_number === null) {
          throw new ExhaustedError(
            "PHONE_NUMBERS_EXHAUSTED",
            `Every telephony number of ${profileName} is held by a conversation in progress; complete one or add numbers`,
            profileName,
          );
        }
        throw new ResourceExistsError("dialogflow.googleapis.com/Conversation", formatResourceName(name, CONVERSATIONS));
      }
      return toConversation(row, name);
    },

    async get(name) {
      const row = await getBatched(name, currentCallSignal());
      if (row === undefined) throw notFound(name);
      return toConversation(row, name);
    },

    async complete(name) {
      const [row] = await database.query<ConversationRow>(COMPLETE, [...lifetime, name.project, storedLocation(name), name.id]);
      if (row === undefined) throw notFound(name);
      return toConversation(row, name);
    },

    async ingestContextReferences(name, references) {
      const [row] = await database.query<{ context_references: JsonObject }>(INGEST_CONTEXT_REFERENCES, [
        ...lifetime,
        name.project,
        storedLocation(name),
        name.id,
        JSON.stringify(references),
      ]);
      if (row === undefined) throw notFound(name);
      return toContextReferences(row.context_references);
    },

    async list(parent, filter, after, limit) {
      const { name, text, values } = conversationListStatement({ parent, filter, after, limit, bound: scanRows }, lifetime);
      const page = conversationListPage(await database.query<ListedRow>({ name, text }, values), limit);
      return { conversations: page.rows.map((row) => toConversation(row, parent)), next: page.next };
    },
  };
}

function notFound(name: ResourceName): ResourceNotFoundError {
  return new ResourceNotFoundError("dialogflow.googleapis.com/Conversation", formatResourceName(name, CONVERSATIONS));
}

function profileNotFound(profileName: string): ResourceNotFoundError {
  return new ResourceNotFoundError("dialogflow.googleapis.com/ConversationProfile", profileName);
}
