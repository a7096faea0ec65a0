import { conjuncts, type FilterExpr } from "../domain/filter.js";
import { storedLocation, type ParentName } from "../domain/names.js";
import type { PageCursor } from "../domain/page-token.js";
import { boundedScanText, pageOfScan, type ScannedPage, type ScannedRow } from "./bounded-scan.js";
import { CONVERSATION_COLUMNS, EFFECTIVE_END_TIME, IS_VISIBLE, type ConversationRow } from "./conversation-row.js";
import { compileFilter, type FilterColumns } from "./filter-sql.js";
import { sqlTimestampFromMicros } from "./timestamps.js";

// ListConversations as one bounded scan (see bounded-scan.ts). The filter
// picks the index range the scan reads (migration 006):
// - lifecycle_state = IN_PROGRESS: the running conversations
//   (conversations_running_newest_first, and not past their time-to-live);
// - conversation_profile = X: that profile's conversations
//   (conversations_by_profile_newest_first);
// - start_time comparisons narrow any of them, or the parent's conversations
//   (conversations_newest_first);
// each only when it is a term every match must satisfy (see conjuncts). Every
// other term is checked on the rows read, within the bound.

const FILTER_COLUMNS: FilterColumns = {
  lifecycle_state: `(CASE WHEN ${EFFECTIVE_END_TIME} IS NULL THEN 1 ELSE 2 END)`,
  conversation_stage: "conversation_stage",
  // Either spelling of a global profile matches (filter values come canonical, see filter.ts).
  conversation_profile: `regexp_replace(conversation_profile, '^(projects/[^/]+)/conversationProfiles/', '\\1/locations/global/conversationProfiles/')`,
  start_time: "start_time",
  end_time: EFFECTIVE_END_TIME,
};

const IN_PROGRESS = 1;
const COMPLETED = 2;
const RANGE_OPERATORS = new Set(["=", "<", "<=", ">", ">="]);
/** A located profile name; the ID is the profile_id of the conversations that use it. */
const PROFILE_NAME = /^projects\/[^/]+\/locations\/[^/]+\/conversationProfiles\/([^/]+)$/;

export interface ConversationListQuery {
  readonly parent: ParentName;
  readonly filter: FilterExpr | undefined;
  readonly after: PageCursor | undefined;
  readonly limit: number;
  /** Most rows the scan examines. */
  readonly bound: number;
}

export type ListedRow = ConversationRow & ScannedRow;

/**
 * The statement and its parameters; $1 and $2 are the lifetime (time-to-live,
 * purge delay) every conversation statement starts with.
 */
export function conversationListStatement(query: ConversationListQuery, lifetime: readonly string[]): { name: string | undefined; text: string; values: unknown[] } {
  const values: unknown[] = [...lifetime, query.parent.project, storedLocation(query.parent)];
  const range = ["project = $3", "location = $4"];
  const terms = query.filter === undefined ? [] : conjuncts(query.filter);
  const isRunning = terms.some(selectsRunning);
  if (isRunning) range.push("end_time IS NULL", "start_time > now() - $1::interval");
  const profileId = isRunning ? undefined : terms.map(profileIdOf).find((id) => id !== undefined);
  if (profileId !== undefined) {
    values.push(profileId);
    range.push(`profile_id = $${values.length}`);
  }
  for (const term of terms) {
    if (term.kind === "compare" && term.field === "start_time" && RANGE_OPERATORS.has(term.op)) {
      range.push(compileFilter(term, FILTER_COLUMNS, values));
    }
  }
  if (query.after !== undefined) {
    values.push(query.after.micros, query.after.id);
    range.push(`(start_time, id) < (${sqlTimestampFromMicros(`$${values.length - 1}`)}, $${values.length})`);
  }
  const matches = query.filter === undefined ? IS_VISIBLE : `(${IS_VISIBLE} AND ${compileFilter(query.filter, FILTER_COLUMNS, values)})`;
  values.push(query.bound, query.limit + 1);
  const text = boundedScanText({
    table: "conversations",
    timeColumn: "start_time",
    idColumn: "id",
    range,
    matches,
    columns: CONVERSATION_COLUMNS,
    boundParam: `$${values.length - 1}`,
    limitParam: `$${values.length}`,
  });
  // Unfiltered lists have two fixed shapes worth preparing; filtered ones vary without bound.
  const name = query.filter === undefined ? `conversation_list${query.after === undefined ? "" : "_after"}` : undefined;
  return { name, text, values };
}

export function conversationListPage(rows: readonly ListedRow[], limit: number): ScannedPage<ListedRow> {
  return pageOfScan(rows, limit, (row) => ({ micros: row.start_micros, id: row.id }));
}

/** Whether the term admits running conversations only (lifecycle_state has two values). */
function selectsRunning(term: FilterExpr): boolean {
  if (term.kind !== "compare" || term.field !== "lifecycle_state") return false;
  return (term.op === "=" && term.value.value === IN_PROGRESS) || (term.op === "!=" && term.value.value === COMPLETED);
}

/** The profile ID a `conversation_profile = X` term selects. */
function profileIdOf(term: FilterExpr): string | undefined {
  if (term.kind !== "compare" || term.field !== "conversation_profile" || term.op !== "=") return undefined;
  return PROFILE_NAME.exec(String(term.value.value))?.[1];
}
