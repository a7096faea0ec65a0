import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFilter } from "../src/domain/filter.js";
import { compileFilter, type FilterColumns } from "../src/store/filter-sql.js";

const COLUMNS: FilterColumns = {
  lifecycle_state: "lifecycle_state",
  conversation_stage: "conversation_stage",
  conversation_profile: "conversation_profile",
  start_time: "start_time",
  end_time: "end_time",
};

function compile(text: string, params: unknown[] = []): { sql: string; params: unknown[] } {
  const expr = parseFilter(text);
  if (expr === undefined) throw new Error("empty filter");
  return { sql: compileFilter(expr, COLUMNS, params), params };
}

describe("compileFilter", () => {
  it("turns a comparison into SQL with a typed placeholder", () => {
    expect(compile("lifecycle_state = COMPLETED")).toEqual({ sql: "(lifecycle_state = $1::int)", params: [2] });
    expect(compile('conversation_profile != "p"')).toEqual({ sql: "(conversation_profile <> $1::text)", params: ["p"] });
    expect(compile('start_time >= "2024-01-01T00:00:00Z"')).toEqual({
      sql: "(start_time >= $1::timestamptz)",
      params: ["2024-01-01T00:00:00Z"],
    });
  });

  it("numbers placeholders after the parameters already present", () => {
    expect(compile("conversation_stage = HUMAN_ASSIST_STAGE", ["a", "b", "c"])).toEqual({
      sql: "(conversation_stage = $4::int)",
      params: ["a", "b", "c", 2],
    });
  });

  it("parenthesises every node so precedence survives", () => {
    expect(compile("NOT lifecycle_state = COMPLETED AND conversation_stage = VIRTUAL_AGENT_STAGE OR end_time < \"2024-01-01T00:00:00Z\"").sql).toBe(
      "((NOT (lifecycle_state = $1::int)) AND ((conversation_stage = $2::int) OR (end_time < $3::timestamptz)))",
    );
  });

  it("uses the column expressions it is given", () => {
    const params: unknown[] = [];
    const expr = parseFilter("lifecycle_state = IN_PROGRESS")!;
    expect(compileFilter(expr, { ...COLUMNS, lifecycle_state: "(CASE WHEN x THEN 1 ELSE 2 END)" }, params)).toBe(
      "((CASE WHEN x THEN 1 ELSE 2 END) = $1::int)",
    );
  });

  it.each(["'; DROP TABLE conversations; --", "$1", "\\", "\u0000", "\u{1F600}", "' OR '1'='1"])(
    "keeps the hostile value %j out of the SQL text",
    (value) => {
      const escaped = value.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
      const { sql, params } = compile(`conversation_profile = "${escaped}"`);
      expect(sql).toBe("(conversation_profile = $1::text)");
      expect(params).toEqual([value]);
    },
  );
});

// The compiled SQL run for real, against Postgres (embedded), over a few rows.
describe("compiled filters on Postgres", () => {
  let db: PGlite;

  beforeAll(async () => {
    db = new PGlite();
    await db.exec(`
      CREATE TABLE rows (id text, lifecycle_state int, conversation_stage int, conversation_profile text, start_time timestamptz, end_time timestamptz);
      INSERT INTO rows VALUES
        ('a', 1, 1, 'projects/p/conversationProfiles/one', '2024-01-01T00:00:00Z', NULL),
        ('b', 2, 2, 'projects/p/conversationProfiles/one', '2024-01-02T00:00:00Z', '2024-01-02T01:00:00Z'),
        ('c', 2, 1, 'projects/p/conversationProfiles/two', '2024-01-03T00:00:00Z', '2024-01-03T05:00:00Z'),
        ('d', 1, 2, 'projects/p/conversationProfiles/two', '2024-01-04T00:00:00.000001Z', NULL);
    `);
  });
  afterAll(async () => {
    await db.close();
  });

  async function select(text: string): Promise<string[]> {
    const { sql, params } = compile(text);
    const result = await db.query<{ id: string }>(`SELECT id FROM rows WHERE ${sql} ORDER BY id`, params);
    return result.rows.map((row) => row.id);
  }

  it.each([
    ["lifecycle_state = COMPLETED", ["b", "c"]],
    ["lifecycle_state != COMPLETED", ["a", "d"]],
    ["conversation_stage = VIRTUAL_AGENT_STAGE AND lifecycle_state = IN_PROGRESS", ["a"]],
    ['conversation_profile = "projects/p/conversationProfiles/two" OR conversation_stage = VIRTUAL_AGENT_STAGE', ["a", "c", "d"]],
    ['start_time > "2024-01-02T00:00:00Z"', ["c", "d"]],
    ['start_time >= "2024-01-02T00:00:00Z"', ["b", "c", "d"]],
    ['start_time > "2024-01-04T00:00:00Z"', ["d"]],
    ['start_time > "2024-01-04T00:00:00.000001Z"', []],
    ['start_time < "2024-01-02T02:00:00+02:00"', ["a"]],
    ['start_time <= "2024-01-02T02:00:00+02:00"', ["a", "b"]],
    ['end_time < "2024-01-03T00:00:00Z"', ["b"]],
    ['NOT end_time < "2024-01-03T00:00:00Z"', ["c"]],
    ["NOT (lifecycle_state = COMPLETED OR conversation_stage = HUMAN_ASSIST_STAGE)", ["a"]],
  ])("%s selects %j", async (text, expected) => {
    expect(await select(text)).toEqual(expected);
  });

  it.each(["'; DROP TABLE rows; --", "' OR '1'='1", "\u{1F600}", "x".repeat(10_000)])(
    "a hostile value %j selects nothing and drops nothing",
    async (value) => {
      const escaped = value.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
      expect(await select(`conversation_profile = "${escaped}"`)).toEqual([]);
      expect((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rows")).rows[0]?.n).toBe(4);
    },
  );
});
