import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFilter, type FilterExpr } from "../src/domain/filter.js";
import { canonicalProfileReference } from "../src/domain/names.js";
import { conversationListStatement } from "../src/store/conversation-list.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// ListConversations reads at most LIST_SCAN_ROWS rows per call (bounded-scan.ts):
// with a bound of 7 over a few hundred conversations, every filter shape must
// still give exactly the conversations an unbounded evaluation gives, in
// order, each once, across short pages.

const BOUND = 7;
const PAGE_SIZE = 5;
const TTL_SECONDS = 86_400;
const PURGE_SECONDS = 30 * 86_400;
const PARENT = "projects/bounded/locations/global";
const PROFILES = ["agent", "human-a", "human-b"] as const;

interface SeededRow {
  readonly project: string;
  readonly location: string;
  readonly id: string;
  /** As stored: some in the project-level spelling of the global location. */
  readonly profile: string;
  readonly profileId: string;
  readonly stage: number;
  readonly startMs: number;
  readonly endMs: number | null;
}

const baseMs = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const SECOND = 1000;
const DAY = 86_400 * SECOND;

/** Whole-second times, pairs of rows sharing a start_time, none near the TTL or purge edges (the test takes seconds). */
function seedRows(): SeededRow[] {
  const rows: SeededRow[] = [];
  const add = (project: string, location: string, i: number, startMs: number, ended: "no" | "yes") => {
    const profileId = PROFILES[i % 3]!;
    const located = `projects/${project}/locations/${location}/conversationProfiles/${profileId}`;
    const profile = location === "global" && i % 5 === 0 ? `projects/${project}/conversationProfiles/${profileId}` : located;
    rows.push({
      project,
      location,
      id: `conv-${String(i).padStart(4, "0")}`,
      profile,
      profileId,
      stage: profileId === "agent" && i % 7 !== 0 ? 1 : 2,
      startMs,
      endMs: ended === "yes" ? startMs + 60 * SECOND : null,
    });
  };
  for (let i = 0; i < 170; i++) {
    const startMs = baseMs - Math.floor(i / 2) * 1201 * SECOND;
    if (Math.abs(baseMs - startMs - TTL_SECONDS * SECOND) < 15 * 60 * SECOND) continue;
    add("bounded", "global", i, startMs, i % 4 === 1 ? "yes" : "no");
  }
  // Ended 40 days ago: past the purge delay, so never listed though not yet deleted.
  for (let i = 170; i < 185; i++) add("bounded", "global", i, baseMs - 40 * DAY - i * SECOND, "yes");
  // Past the time-to-live without an end_time: reads as COMPLETED; some of those purged already by the same rule.
  for (let i = 185; i < 200; i++) add("bounded", "global", i, baseMs - (i - 180) * 5 * DAY, "no");
  // Other parents: never listed.
  for (let i = 0; i < 20; i++) {
    add("bounded", "us-east1", i, baseMs - i * 601 * SECOND, "no");
    add("elsewhere", "global", i, baseMs - i * 601 * SECOND, "no");
  }
  return rows;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The filters, one of each shape the service accepts. */
function filters(): string[] {
  const profile = (id: string) => `"${PARENT}/conversationProfiles/${id}"`;
  const t1 = iso(baseMs - 25 * 3600 * SECOND);
  const t2 = iso(baseMs - 10 * 3600 * SECOND);
  const pairTime = iso(baseMs - 40 * 1201 * SECOND);
  return [
    "",
    "lifecycle_state = IN_PROGRESS",
    "lifecycle_state = COMPLETED",
    "lifecycle_state != COMPLETED",
    "NOT lifecycle_state = IN_PROGRESS",
    "conversation_stage = VIRTUAL_AGENT_STAGE",
    "conversation_stage != VIRTUAL_AGENT_STAGE",
    `conversation_profile = ${profile("human-a")}`,
    `conversation_profile = "projects/bounded/conversationProfiles/agent"`,
    `conversation_profile != ${profile("human-a")}`,
    `conversation_profile = ${profile("unused")}`,
    `start_time < "${t1}"`,
    `start_time >= "${t2}"`,
    `start_time = "${pairTime}"`,
    `start_time != "${pairTime}"`,
    `end_time > "${t1}"`,
    `end_time <= "${t2}"`,
    `NOT end_time > "${t2}"`,
    `lifecycle_state = IN_PROGRESS AND conversation_profile = ${profile("human-b")}`,
    `conversation_profile = ${profile("human-a")} AND start_time > "${t1}" AND start_time <= "${t2}"`,
    `conversation_profile = ${profile("agent")} OR lifecycle_state = IN_PROGRESS`,
    `NOT (conversation_stage = HUMAN_ASSIST_STAGE OR end_time < "${t2}")`,
    `-(lifecycle_state = COMPLETED OR conversation_profile = ${profile("agent")})`,
    `conversation_stage = VIRTUAL_AGENT_STAGE AND conversation_profile = ${profile("human-a")}`,
  ];
}

// The reference: the filter evaluated here over the seeded rows, in SQL's three-valued logic.
type Truth = boolean | null;

function effectiveEnd(row: SeededRow, nowMs: number): number | null {
  if (row.endMs !== null) return row.endMs;
  return row.startMs + TTL_SECONDS * SECOND <= nowMs ? row.startMs + TTL_SECONDS * SECOND : null;
}

function evaluate(expr: FilterExpr, row: SeededRow, nowMs: number): Truth {
  switch (expr.kind) {
    case "and": {
      const [left, right] = [evaluate(expr.left, row, nowMs), evaluate(expr.right, row, nowMs)];
      return left === false || right === false ? false : left === null || right === null ? null : true;
    }
    case "or": {
      const [left, right] = [evaluate(expr.left, row, nowMs), evaluate(expr.right, row, nowMs)];
      return left === true || right === true ? true : left === null || right === null ? null : false;
    }
    case "not": {
      const operand = evaluate(expr.operand, row, nowMs);
      return operand === null ? null : !operand;
    }
    case "compare": {
      const end = effectiveEnd(row, nowMs);
      const actual = {
        lifecycle_state: end === null ? 1 : 2,
        conversation_stage: row.stage,
        conversation_profile: canonicalProfileReference(row.profile),
        start_time: row.startMs,
        end_time: end,
      }[expr.field];
      if (actual === null) return null;
      const wanted = expr.value.kind === "timestamp" ? Date.parse(expr.value.value) : expr.value.value;
      const order = actual < wanted ? -1 : actual > wanted ? 1 : 0;
      return { "=": order === 0, "!=": order !== 0, "<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0 }[expr.op];
    }
  }
}

function expectedNames(rows: readonly SeededRow[], filter: string, nowMs: number): string[] {
  const expr = parseFilter(filter);
  return rows
    .filter((row) => row.project === "bounded" && row.location === "global")
    .filter((row) => (effectiveEnd(row, nowMs) ?? row.startMs + TTL_SECONDS * SECOND) + PURGE_SECONDS * SECOND > nowMs)
    .filter((row) => expr === undefined || evaluate(expr, row, nowMs) === true)
    .sort((a, b) => b.startMs - a.startMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .map((row) => `${PARENT}/conversations/${row.id}`);
}

describe("ListConversations with a bounded scan", () => {
  let test: TestServer;
  let clients: Clients;
  const rows = seedRows();
  const parentRows = rows.filter((row) => row.project === "bounded" && row.location === "global").length;

  beforeAll(async () => {
    test = await startTestServer({ listScanRows: BOUND, conversationTtlSeconds: TTL_SECONDS, purgeAfterSeconds: PURGE_SECONDS });
    clients = createClients("grpc", test.baseUrl);
    const column = <K extends keyof SeededRow>(key: K) => rows.map((row) => row[key]);
    await test.testDatabase.database.query(
      {
        text: `INSERT INTO conversations (project, location, id, conversation_profile, profile_location, profile_id, conversation_stage, start_time, end_time)
SELECT project, location, id, profile, location, profile_id, stage, to_timestamp(start_ms / 1000.0), to_timestamp(end_ms / 1000.0)
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int8[], $8::int8[])
  AS r(project, location, id, profile, profile_id, stage, start_ms, end_ms)`,
      },
      [column("project"), column("location"), column("id"), column("profile"), column("profileId"), column("stage"), column("startMs"), column("endMs")],
    );
    await test.testDatabase.database.query({ text: "ANALYZE conversations" });
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  /** Every page of a filter: the names in order and each page's size and token. */
  async function walk(filter: string): Promise<{ names: string[]; pages: { size: number; more: boolean }[] }> {
    const names: string[] = [];
    const pages: { size: number; more: boolean }[] = [];
    let pageToken = "";
    do {
      const page = await clients.conversations.listConversations({ parent: PARENT, filter, pageSize: PAGE_SIZE, pageToken });
      names.push(...page.conversations.map((conversation) => conversation.name));
      pages.push({ size: page.conversations.length, more: page.nextPageToken !== "" });
      pageToken = page.nextPageToken;
      if (pages.length > parentRows + 10) throw new Error(`no end to the pages of ${filter}`);
    } while (pageToken !== "");
    return { names, pages };
  }

  it.each(filters())("gives exactly the unbounded answer for filter %j, in order, across short pages", async (filter) => {
    const nowMs = Date.now();
    const expected = expectedNames(rows, filter, nowMs);
    const { names, pages } = await walk(filter);
    expect(names).toEqual(expected);
    // Each call either fills its page or moves the scan on by the bound.
    expect(pages.length).toBeLessThanOrEqual(Math.ceil(parentRows / BOUND) + Math.ceil(expected.length / PAGE_SIZE) + 1);
  });

  it("ends a page early with a token when the scan reaches its bound", async () => {
    // One conversation in three is on human-a and only on the profile index; the stage is not.
    const { pages } = await walk("conversation_stage = VIRTUAL_AGENT_STAGE");
    expect(pages.some((page) => page.size < PAGE_SIZE && page.more)).toBe(true);
  });

  it("walks a filter that matches nothing in one empty page per bound of rows, then stops", async () => {
    // Only the agent profile's conversations are in VIRTUAL_AGENT_STAGE, and no index answers either term.
    const { names, pages } = await walk(`conversation_stage = VIRTUAL_AGENT_STAGE AND conversation_profile != "${PARENT}/conversationProfiles/agent"`);
    expect(names).toEqual([]);
    expect(pages.length).toBe(Math.floor(parentRows / BOUND) + 1);
    expect(pages.slice(0, -1).every((page) => page.more)).toBe(true);
    expect(pages.at(-1)?.more).toBe(false);
  });

  it("answers lifecycle_state = IN_PROGRESS and conversation_profile = X from their indexes, in order, without a sort", async () => {
    const plans: Record<string, string> = {};
    const cases = {
      conversations_running_newest_first: "lifecycle_state = IN_PROGRESS",
      conversations_by_profile_newest_first: `conversation_profile = "${PARENT}/conversationProfiles/human-a"`,
      conversations_newest_first: `start_time < "${iso(baseMs - DAY)}"`,
    };
    await test.testDatabase.database.transaction(async (tx) => {
      // A few hundred rows would be read whole by a sequential scan; the plan at scale is what matters here.
      await tx.query({ text: "SET LOCAL enable_seqscan = off" });
      for (const [index, filter] of Object.entries(cases)) {
        const statement = conversationListStatement(
          { parent: { project: "bounded", location: "global" }, filter: parseFilter(filter), after: undefined, limit: PAGE_SIZE, bound: BOUND },
          [`${TTL_SECONDS} seconds`, `${PURGE_SECONDS} seconds`],
        );
        const plan = await tx.query<{ "QUERY PLAN": string }>({ text: `EXPLAIN ${statement.text}` }, statement.values);
        plans[index] = plan.map((line) => line["QUERY PLAN"]).join("\n");
      }
    });
    for (const [index, filter] of Object.entries(cases)) {
      const plan = plans[index]!;
      expect(plan, filter).toMatch(new RegExp(`Index Scan using ${index} `));
      expect(plan, filter).not.toMatch(/Sort|Seq Scan|Bitmap/);
    }
    expect(plans.conversations_newest_first).toMatch(/Index Cond: .*start_time </);
  });

  it("reads a page in index order even when the bound covers the whole parent, rather than sorting the parent", async () => {
    const statement = conversationListStatement(
      { parent: { project: "bounded", location: "global" }, filter: undefined, after: undefined, limit: PAGE_SIZE, bound: 10_000 },
      [`${TTL_SECONDS} seconds`, `${PURGE_SECONDS} seconds`],
    );
    const plan = await test.testDatabase.database.query<{ "QUERY PLAN": string }>({ text: `EXPLAIN ${statement.text}` }, statement.values);
    const text = plan.map((line) => line["QUERY PLAN"]).join("\n");
    expect(text).toMatch(/Index Scan using conversations_newest_first /);
    expect(text).not.toMatch(/Sort|Seq Scan/);
  });
});
