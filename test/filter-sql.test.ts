import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFilter, type Comparator, type FilterExpr } from "../src/domain/filter.js";
import { compileFilter, type FilterColumns } from "../src/store/filter-sql.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

const COLUMNS: FilterColumns = {
  lifecycle_state: "lifecycle_state",
  conversation_stage: "conversation_stage",
  conversation_profile: "conversation_profile",
  start_time: "start_time",
  end_time: "end_time",
};

function parse(text: string): FilterExpr {
  const expr = parseFilter(text);
  if (expr === undefined) throw new Error("blank filter");
  return expr;
}

function compile(text: string, params: unknown[] = []): { sql: string; params: unknown[] } {
  return { sql: compileFilter(parse(text), COLUMNS, params), params };
}

/** `value` as a double-quoted filter string literal. */
function quoted(value: string): string {
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

const HOSTILE_VALUES = [
  "'; DROP TABLE rows; --",
  "' OR '1'='1",
  "' OR 1=1 --",
  "x' OR 'x'='x",
  "Robert'); DROP TABLE students;--",
  "$1",
  "$2::text OR true",
  "\\",
  "\\'",
  "*/ OR TRUE /*",
  "\u{1F600}",
  "مرحبا \u202E",
  "\uD83D",
  "E'\\x00'",
];
const LONG_VALUE = `'${"x".repeat(10_000)}'; DROP TABLE rows; --`;

describe("compileFilter", () => {
  it("compiles an enum comparison to a numeric parameter", () => {
    expect(compile("lifecycle_state = COMPLETED")).toEqual({ sql: "(lifecycle_state = $1)", params: [2] });
    expect(compile("conversation_stage != VIRTUAL_AGENT_STAGE")).toEqual({ sql: "(conversation_stage <> $1)", params: [1] });
  });

  it("compiles a string comparison to a string parameter", () => {
    expect(compile('conversation_profile = "projects/p/conversationProfiles/a"')).toEqual({
      sql: "(conversation_profile = $1)",
      // Profile references arrive in their located form, so either spelling of a global profile matches.
      params: ["projects/p/locations/global/conversationProfiles/a"],
    });
    expect(compile("conversation_profile != 'p'")).toEqual({ sql: "(conversation_profile <> $1)", params: ["p"] });
  });

  it.each([
    ["=", "="],
    ["!=", "<>"],
    ["<", "<"],
    [">", ">"],
    ["<=", "<="],
    [">=", ">="],
  ] as const)("compiles the timestamp operator %s to %s with a timestamptz cast", (op: Comparator, sqlOp) => {
    expect(compile(`start_time ${op} "2024-01-31T14:00:00.5+02:00"`)).toEqual({
      sql: `(start_time ${sqlOp} $1::timestamptz)`,
      params: ["2024-01-31T12:00:00.5Z"],
    });
    expect(compile(`end_time ${op} "2024-01-31T12:00:00Z"`).sql).toBe(`(end_time ${sqlOp} $1::timestamptz)`);
  });

  it("compiles AND, OR and NOT with every node parenthesised", () => {
    expect(compile("lifecycle_state = COMPLETED AND conversation_stage = HUMAN_ASSIST_STAGE").sql).toBe(
      "((lifecycle_state = $1) AND (conversation_stage = $2))",
    );
    expect(compile("lifecycle_state = COMPLETED OR conversation_stage = HUMAN_ASSIST_STAGE").sql).toBe(
      "((lifecycle_state = $1) OR (conversation_stage = $2))",
    );
    expect(compile("NOT lifecycle_state = COMPLETED").sql).toBe("(NOT (lifecycle_state = $1))");
    expect(compile("--lifecycle_state = COMPLETED").sql).toBe("(NOT (NOT (lifecycle_state = $1)))");
  });

  it("keeps AIP-160 precedence, where SQL's own would differ", () => {
    // SQL binds AND tighter than OR; AIP-160 the other way round. The parentheses carry the AIP-160 reading.
    expect(compile('NOT lifecycle_state = COMPLETED AND conversation_stage = VIRTUAL_AGENT_STAGE OR end_time < "2024-01-01T00:00:00Z"')).toEqual({
      sql: "((NOT (lifecycle_state = $1)) AND ((conversation_stage = $2) OR (end_time < $3::timestamptz)))",
      params: [2, 1, "2024-01-01T00:00:00Z"],
    });
    expect(compile("(lifecycle_state = COMPLETED AND conversation_stage = VIRTUAL_AGENT_STAGE) OR conversation_stage = HUMAN_ASSIST_STAGE").sql).toBe(
      "(((lifecycle_state = $1) AND (conversation_stage = $2)) OR (conversation_stage = $3))",
    );
  });

  it("numbers placeholders in reading order", () => {
    expect(
      compile('conversation_profile = "p" AND (start_time >= "2024-01-01T00:00:00Z" OR NOT end_time < "2024-02-01T00:00:00Z") lifecycle_state = IN_PROGRESS'),
    ).toEqual({
      sql: "(((conversation_profile = $1) AND ((start_time >= $2::timestamptz) OR (NOT (end_time < $3::timestamptz)))) AND (lifecycle_state = $4))",
      params: ["p", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", 1],
    });
  });

  it("numbers placeholders after the parameters already present, leaving them as they were", () => {
    const existing = ["projects/p", "global", new Date(0)];
    const params: unknown[] = [...existing];
    const sql = compileFilter(parse("conversation_stage = HUMAN_ASSIST_STAGE OR conversation_profile = 'q'"), COLUMNS, params);
    expect(sql).toBe("((conversation_stage = $4) OR (conversation_profile = $5))");
    expect(params).toEqual([...existing, 2, "q"]);
  });

  it("gives every one of 100 comparisons its own placeholder", () => {
    const params: unknown[] = [];
    const sql = compileFilter(parse(Array.from({ length: 100 }, (_, i) => `conversation_profile = "p${i}"`).join(" OR ")), COLUMNS, params);
    expect(params).toEqual(Array.from({ length: 100 }, (_, i) => `p${i}`));
    expect(sql.match(/\$\d+/g)).toEqual(Array.from({ length: 100 }, (_, i) => `$${i + 1}`));
  });

  it("uses the column expressions it is given", () => {
    const columns = { ...COLUMNS, lifecycle_state: "(CASE WHEN c.end_time IS NULL THEN 1 ELSE 2 END)", end_time: "c.end_time" };
    const params: unknown[] = [];
    expect(compileFilter(parse('lifecycle_state = IN_PROGRESS OR end_time > "2024-01-01T00:00:00Z"'), columns, params)).toBe(
      "(((CASE WHEN c.end_time IS NULL THEN 1 ELSE 2 END) = $1) OR (c.end_time > $2::timestamptz))",
    );
  });

  it.each(HOSTILE_VALUES)("keeps the hostile value %j out of the SQL text", (value) => {
    const { sql, params } = compile(`conversation_profile = ${quoted(value)} OR conversation_profile != ${quoted(value)}`);
    expect(sql).toBe("((conversation_profile = $1) OR (conversation_profile <> $2))");
    expect(params).toEqual([value, value]);
  });

  it("keeps a 10 kB value out of the SQL text", () => {
    expect(compile(`conversation_profile = ${quoted(LONG_VALUE)}`)).toEqual({ sql: "(conversation_profile = $1)", params: [LONG_VALUE] });
  });
});

// The compiled SQL run for real on Postgres, over rows chosen so each filter tells.
describe("compiled filters on Postgres", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.database.transaction((tx) => tx.exec(`
      CREATE TABLE rows (id text, lifecycle_state int, conversation_stage smallint, conversation_profile text, start_time timestamptz, end_time timestamptz);
      INSERT INTO rows VALUES
        ('a', 1, 1, 'projects/p/locations/global/conversationProfiles/one', '2024-01-01T00:00:00Z', NULL),
        ('b', 2, 2, 'projects/p/locations/global/conversationProfiles/one', '2024-01-02T00:00:00Z', '2024-01-02T01:00:00Z'),
        ('c', 2, 1, 'projects/p/locations/global/conversationProfiles/two', '2024-01-03T00:00:00Z', '2024-01-03T05:00:00Z'),
        ('d', 1, 2, 'projects/p/locations/global/conversationProfiles/two', '2024-01-04T00:00:00.000001Z', NULL),
        ('e', 2, 2, 'it''s "odd" \\ ok', '2024-01-05T00:00:00.5Z', '2024-01-05T00:00:00.75Z');
    `));
  });
  afterAll(async () => {
    await db.dispose();
  });

  async function select(text: string): Promise<string[]> {
    const { sql, params } = compile(text, ["unused"]);
    const rows = await db.database.query<{ id: string }>({ text: `SELECT id FROM rows WHERE id <> $1 AND ${sql} ORDER BY id` }, params);
    return rows.map((row) => row.id);
  }

  async function countRows(): Promise<number> {
    return (await db.database.query<{ n: number }>({ text: "SELECT count(*)::int AS n FROM rows" }))[0]!.n;
  }

  it.each([
    ["lifecycle_state = COMPLETED", ["b", "c", "e"]],
    ["lifecycle_state = IN_PROGRESS", ["a", "d"]],
    ["lifecycle_state != COMPLETED", ["a", "d"]],
    ["conversation_stage = VIRTUAL_AGENT_STAGE", ["a", "c"]],
    ["conversation_stage != VIRTUAL_AGENT_STAGE", ["b", "d", "e"]],
    ['conversation_profile = "projects/p/conversationProfiles/one"', ["a", "b"]],
    ['conversation_profile = "projects/p/locations/global/conversationProfiles/one"', ["a", "b"]],
    ["conversation_profile != 'projects/p/conversationProfiles/one'", ["c", "d", "e"]],
    [String.raw`conversation_profile = 'it\'s "odd" \\ ok'`, ["e"]],
    ['conversation_profile = "projects/p/conversationProfiles/on"', []],
    ['start_time = "2024-01-02T00:00:00Z"', ["b"]],
    ['start_time != "2024-01-02T00:00:00Z"', ["a", "c", "d", "e"]],
    ['start_time > "2024-01-02T00:00:00Z"', ["c", "d", "e"]],
    ['start_time >= "2024-01-02T00:00:00Z"', ["b", "c", "d", "e"]],
    ['start_time < "2024-01-02T02:00:00+02:00"', ["a"]],
    ['start_time <= "2024-01-02T02:00:00+02:00"', ["a", "b"]],
    ['start_time > "2024-01-04T00:00:00Z"', ["d", "e"]],
    ['start_time > "2024-01-04T00:00:00.000001Z"', ["e"]],
    ['start_time = "2024-01-04T00:00:00.000001000Z"', ["d"]],
    ['start_time = "2024-01-05T00:00:00.5Z"', ["e"]],
    ['start_time >= "2024-01-02T00:00:00Z" AND start_time < "2024-01-04T00:00:00Z"', ["b", "c"]],
    ['start_time > "0001-01-01T00:00:00Z" AND start_time < "9999-12-31T23:59:59.999999999Z"', ["a", "b", "c", "d", "e"]],
    ['end_time < "2024-01-03T00:00:00Z"', ["b"]],
    ['end_time >= "2000-01-01T00:00:00Z"', ["b", "c", "e"]],
    ['end_time != "2024-01-02T01:00:00Z"', ["c", "e"]],
    ['NOT end_time < "2024-01-03T00:00:00Z"', ["c", "e"]],
    ['lifecycle_state = IN_PROGRESS OR end_time < "2024-01-03T00:00:00Z"', ["a", "b", "d"]],
    ["NOT lifecycle_state = COMPLETED", ["a", "d"]],
    ["NOT (lifecycle_state = COMPLETED OR conversation_stage = HUMAN_ASSIST_STAGE)", ["a"]],
    ["lifecycle_state = COMPLETED AND conversation_stage = VIRTUAL_AGENT_STAGE OR conversation_stage = HUMAN_ASSIST_STAGE", ["b", "c", "e"]],
    ["(lifecycle_state = COMPLETED AND conversation_stage = VIRTUAL_AGENT_STAGE) OR conversation_stage = HUMAN_ASSIST_STAGE", ["b", "c", "d", "e"]],
    ["conversation_stage = HUMAN_ASSIST_STAGE lifecycle_state = IN_PROGRESS", ["d"]],
    ['-conversation_profile = "projects/p/conversationProfiles/one"', ["c", "d", "e"]],
  ])("%s selects %j", async (text, expected) => {
    expect(await select(text)).toEqual(expected);
  });

  it("matches no end_time comparison, nor its negation, for a running conversation", async () => {
    const running = ["a", "d"];
    for (const op of ["=", "!=", "<", ">", "<=", ">="]) {
      const comparison = `end_time ${op} "2024-01-03T00:00:00Z"`;
      const matched = new Set([...(await select(comparison)), ...(await select(`NOT ${comparison}`))]);
      expect(running.filter((id) => matched.has(id))).toEqual([]);
    }
  });

  it("lets Postgres round a timestamp past microseconds", async () => {
    // .0000004 rounds down to a microsecond before d started; .0000006 rounds up to d's start.
    expect(await select('start_time > "2024-01-04T00:00:00.0000004Z"')).toEqual(["d", "e"]);
    expect(await select('start_time = "2024-01-04T00:00:00.0000006Z"')).toEqual(["d"]);
  });

  it.each(HOSTILE_VALUES)("selects nothing for the hostile value %j, and changes nothing", async (value) => {
    expect(await select(`conversation_profile = ${quoted(value)}`)).toEqual([]);
    expect(await select(`lifecycle_state = COMPLETED AND conversation_profile = ${quoted(value)}`)).toEqual([]);
    expect(await select(`conversation_profile != ${quoted(value)} AND conversation_profile = ${quoted(value)}`)).toEqual([]);
    expect(await countRows()).toBe(5);
  });

  it("selects nothing for a 10 kB hostile value, and changes nothing", async () => {
    expect(await select(`conversation_profile = ${quoted(LONG_VALUE)}`)).toEqual([]);
    expect(await select(`NOT conversation_profile != ${quoted(LONG_VALUE)}`)).toEqual([]);
    expect(await countRows()).toBe(5);
  });
});
