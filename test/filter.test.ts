import { describe, expect, it } from "vitest";
import { InvalidFieldError } from "../src/domain/errors.js";
import { parseFilter, type FilterExpr } from "../src/domain/filter.js";

function rule(text: string): string {
  try {
    parseFilter(text);
  } catch (error) {
    if (error instanceof InvalidFieldError && error.field === "filter") return error.rule;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

const lifecycle = (op: string, value: number): FilterExpr =>
  ({ kind: "compare", field: "lifecycle_state", op, value: { kind: "enum", value } }) as FilterExpr;
const stage = (value: number): FilterExpr => ({ kind: "compare", field: "conversation_stage", op: "=", value: { kind: "enum", value } });
const profile = (value: string): FilterExpr => ({ kind: "compare", field: "conversation_profile", op: "=", value: { kind: "string", value } });

describe("parseFilter", () => {
  it("returns undefined for an empty or blank filter", () => {
    expect(parseFilter("")).toBeUndefined();
    expect(parseFilter("  \t\n ")).toBeUndefined();
  });

  it.each([
    ['lifecycle_state = "COMPLETED"', lifecycle("=", 2)],
    ["lifecycle_state = 'IN_PROGRESS'", lifecycle("=", 1)],
    ["lifecycle_state=COMPLETED", lifecycle("=", 2)],
    ["lifecycle_state != IN_PROGRESS", lifecycle("!=", 1)],
    ["conversation_stage = VIRTUAL_AGENT_STAGE", stage(1)],
    ['conversation_stage = "HUMAN_ASSIST_STAGE"', stage(2)],
    ['conversation_profile = "projects/p/conversationProfiles/abc"', profile("projects/p/conversationProfiles/abc")],
  ])("reads %s", (text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });

  it.each(["=", "!=", "<", ">", "<=", ">="])("reads timestamps with %s", (op) => {
    expect(parseFilter(`start_time ${op} "2024-01-31T12:00:00Z"`)).toEqual({
      kind: "compare",
      field: "start_time",
      op,
      value: { kind: "timestamp", value: "2024-01-31T12:00:00Z" },
    });
  });

  it.each([
    ["2024-01-31T12:00:00Z", "2024-01-31T12:00:00Z"],
    ["2024-01-31t12:00:00z", "2024-01-31T12:00:00Z"],
    ["2024-01-31T12:00:00.5Z", "2024-01-31T12:00:00.5Z"],
    ["2024-01-31T12:00:00.123456Z", "2024-01-31T12:00:00.123456Z"],
    ["2024-01-31T12:00:00.123456789Z", "2024-01-31T12:00:00.123456Z"],
    ["2024-01-31T14:30:00+02:30", "2024-01-31T12:00:00Z"],
    ["2024-01-01T01:00:00+02:00", "2023-12-31T23:00:00Z"],
    ["2024-02-29T00:00:00-05:00", "2024-02-29T05:00:00Z"],
  ])("normalizes the timestamp %s to UTC", (given, expected) => {
    expect(parseFilter(`end_time > "${given}"`)).toMatchObject({ value: { kind: "timestamp", value: expected } });
  });

  it.each(["2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z", "yesterday", "2024-01-01T00:00:00+25:00", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z"])(
    "refuses the timestamp %j with its position",
    (value) => {
      expect(rule(`start_time > "${value}"`)).toMatch(/invalid timestamp .* at position 13/);
    },
  );

  it("requires timestamps to be quoted", () => {
    expect(rule("start_time > 2024")).toMatch(/quoted RFC 3339/);
  });

  it("binds OR tighter than AND, as AIP-160 does", () => {
    expect(parseFilter("lifecycle_state = COMPLETED AND conversation_stage = VIRTUAL_AGENT_STAGE OR conversation_stage = HUMAN_ASSIST_STAGE")).toEqual({
      kind: "and",
      left: lifecycle("=", 2),
      right: { kind: "or", left: stage(1), right: stage(2) },
    });
  });

  it("lets parentheses override precedence", () => {
    expect(parseFilter("(lifecycle_state = COMPLETED AND conversation_stage = VIRTUAL_AGENT_STAGE) OR conversation_stage = HUMAN_ASSIST_STAGE")).toEqual({
      kind: "or",
      left: { kind: "and", left: lifecycle("=", 2), right: stage(1) },
      right: stage(2),
    });
  });

  it("reads NOT and - as negation, binding tightest", () => {
    expect(parseFilter("NOT lifecycle_state = COMPLETED AND conversation_stage = VIRTUAL_AGENT_STAGE")).toEqual({
      kind: "and",
      left: { kind: "not", operand: lifecycle("=", 2) },
      right: stage(1),
    });
    expect(parseFilter("-lifecycle_state = COMPLETED")).toEqual({ kind: "not", operand: lifecycle("=", 2) });
    expect(parseFilter("NOT (lifecycle_state = COMPLETED OR conversation_stage = VIRTUAL_AGENT_STAGE)")).toEqual({
      kind: "not",
      operand: { kind: "or", left: lifecycle("=", 2), right: stage(1) },
    });
  });

  it("reads adjacent comparisons as AND", () => {
    expect(parseFilter("lifecycle_state = COMPLETED conversation_stage = VIRTUAL_AGENT_STAGE")).toEqual({
      kind: "and",
      left: lifecycle("=", 2),
      right: stage(1),
    });
  });

  it("unescapes quotes and backslashes inside strings", () => {
    expect(parseFilter(String.raw`conversation_profile = "a\"b\\c'd"`)).toEqual(profile(`a"b\\c'd`));
    expect(parseFilter(String.raw`conversation_profile = 'it\'s'`)).toEqual(profile("it's"));
  });

  it.each([
    ["colour = RED", /unknown field "colour" at position 0; filterable fields are lifecycle_state/],
    ["lifecycle_state = DONE", /unknown lifecycle_state value "DONE" at position 18; expected IN_PROGRESS or COMPLETED/],
    ["lifecycle_state = LIFECYCLE_STATE_UNSPECIFIED", /unknown lifecycle_state value/],
    ["conversation_stage = CONVERSATION_STAGE_UNSPECIFIED", /unknown conversation_stage value/],
    ["lifecycle_state < COMPLETED", /operator "<" at position 16 is not supported for lifecycle_state; use = or !=/],
    ['conversation_profile > "x"', /not supported for conversation_profile/],
    ["lifecycle_state = ", /expected a value after "=" at position 18/],
    ["lifecycle_state COMPLETED", /expected an operator .* at position 16/],
    ['conversation_profile = "abc', /unterminated string starting at position 23/],
    ["(lifecycle_state = COMPLETED", /expected "\)" to close the "\(" at position 0/],
    ["lifecycle_state = COMPLETED)", /unexpected "\)" at position 27/],
    ["lifecycle_state = COMPLETED AND", /but the filter ended/],
    ["AND lifecycle_state = COMPLETED", /expected a field name at position 0/],
    ["lifecycle_state == COMPLETED", /expected a value after "=" at position 17/],
    ["lifecycle_state = COMPLETED & conversation_stage = VIRTUAL_AGENT_STAGE", /unexpected character "&" at position 28/],
    ["lifecycle_state = IN_PROGRESS; DROP TABLE conversations --", /unexpected character ";" at position 29/],
  ])("refuses %j, naming what and where", (text, message) => {
    expect(rule(text)).toMatch(message);
  });

  describe("hostile input", () => {
    it.each([
      "' OR 1=1 --",
      '" OR ""="',
      "lifecycle_state = COMPLETED -- comment",
      "lifecycle_state = COMPLETED /* x */",
      "lifecycle_state = 'COMPLETED' OR 'a'='a'",
      "lifecycle_state = \u0000",
      "lifecycle_state\u0000= COMPLETED",
      "lifecycle_state = C\u00D6MPLETED",
      "\u202Elifecycle_state = COMPLETED",
      "lifecycle_state = \u{1F600}",
      "$1 = 1",
      "lifecycle_state = COMPLETED; SELECT pg_sleep(10)",
    ])("refuses %j as a syntax or value error, never passing it on", (text) => {
      expect(rule(text).length).toBeGreaterThan(0);
    });

    it.each(["'; DROP TABLE conversations; --", "\u{1F600} emoji", "مرحبا \u202E RTL", "a\u0000b", "' OR 1=1 --"])(
      "keeps %j inside a quoted string as plain data",
      (value) => {
        const escaped = value.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
        expect(parseFilter(`conversation_profile = "${escaped}"`)).toEqual(profile(value));
      },
    );

    it("accepts a 10 kB quoted value", () => {
      const value = "x".repeat(10_000);
      expect(parseFilter(`conversation_profile = "${value}"`)).toEqual(profile(value));
    });

    it("refuses a filter over 20000 characters", () => {
      expect(rule(`conversation_profile = "${"x".repeat(25_000)}"`)).toMatch(/at most 20000 characters/);
    });

    it("refuses deep nesting without overflowing the stack", () => {
      expect(rule(`${"(".repeat(1000)}lifecycle_state = COMPLETED${")".repeat(1000)}`)).toMatch(/nesting deeper than 32 levels/);
      expect(rule(`${"NOT ".repeat(1000)}lifecycle_state = COMPLETED`)).toMatch(/nesting deeper than 32 levels/);
      expect(rule(`${"-".repeat(5000)}lifecycle_state = COMPLETED`)).toMatch(/nesting deeper/);
    });

    it("accepts nesting up to the limit", () => {
      expect(parseFilter(`${"(".repeat(32)}lifecycle_state = COMPLETED${")".repeat(32)}`)).toEqual(lifecycle("=", 2));
    });

    it("refuses more than 100 comparisons but accepts 100", () => {
      const terms = (n: number) => Array.from({ length: n }, () => "lifecycle_state = COMPLETED").join(" OR ");
      expect(parseFilter(terms(100))).toBeDefined();
      expect(rule(terms(200))).toMatch(/more than 100 comparisons/);
    });
  });
});
