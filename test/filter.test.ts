import { describe, expect, it } from "vitest";
import { InvalidFieldError } from "../src/domain/errors.js";
import { parseFilter, type Comparator, type FilterExpr, type FilterField, type FilterValue } from "../src/domain/filter.js";

/** The rule of the InvalidFieldError("filter", …) that parsing `text` throws; fails the test on anything else. */
function ruleOf(text: string): string {
  try {
    parseFilter(text);
  } catch (error) {
    if (error instanceof InvalidFieldError && error.field === "filter") return error.rule;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text).slice(0, 100)} to be refused`);
}

/** `value` as a filter string literal, escaping what the quote form needs. */
function quoted(value: string, quote: '"' | "'" = '"'): string {
  return `${quote}${value.replaceAll("\\", "\\\\").replaceAll(quote, `\\${quote}`)}${quote}`;
}

const compare = (field: FilterField, op: Comparator, value: FilterValue): FilterExpr => ({ kind: "compare", field, op, value });
const and = (left: FilterExpr, right: FilterExpr): FilterExpr => ({ kind: "and", left, right });
const or = (left: FilterExpr, right: FilterExpr): FilterExpr => ({ kind: "or", left, right });
const not = (operand: FilterExpr): FilterExpr => ({ kind: "not", operand });

// Short names for the comparisons the precedence tests combine.
const A = "lifecycle_state = COMPLETED";
const B = "conversation_stage = VIRTUAL_AGENT_STAGE";
const C = "conversation_stage = HUMAN_ASSIST_STAGE";
const a = compare("lifecycle_state", "=", { kind: "enum", value: 2 });
const b = compare("conversation_stage", "=", { kind: "enum", value: 1 });
const c = compare("conversation_stage", "=", { kind: "enum", value: 2 });
const profile = (value: string): FilterExpr => compare("conversation_profile", "=", { kind: "string", value });

const FIELD_LIST = "lifecycle_state, conversation_stage, conversation_profile, start_time, end_time";
const RFC3339_HINT = 'expected RFC 3339 such as "2024-01-31T12:00:00Z"';

describe("parseFilter: blank filters", () => {
  it.each(["", " ", "\t\n \r\n  "])("returns undefined for %j", (text) => {
    expect(parseFilter(text)).toBeUndefined();
  });
});

describe("parseFilter: fields and operators", () => {
  const enumCases = (
    [
      ["lifecycle_state", "IN_PROGRESS", 1],
      ["lifecycle_state", "COMPLETED", 2],
      ["conversation_stage", "VIRTUAL_AGENT_STAGE", 1],
      ["conversation_stage", "HUMAN_ASSIST_STAGE", 2],
    ] as const
  ).flatMap(([field, name, number]) =>
    (["=", "!="] as const).flatMap((op) =>
      [name, `"${name}"`, `'${name}'`].map((written) => [`${field} ${op} ${written}`, compare(field, op, { kind: "enum", value: number })] as const),
    ),
  );

  it.each(enumCases)("reads %s as the enum number", (text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });

  it.each([
    ['conversation_profile = "projects/p/locations/global/conversationProfiles/abc"', "=", "projects/p/locations/global/conversationProfiles/abc"],
    // The project-level spelling of a profile is its global location.
    ["conversation_profile != 'projects/p/conversationProfiles/abc'", "!=", "projects/p/locations/global/conversationProfiles/abc"],
    ["conversation_profile = 'projects/p/locations/eu/conversationProfiles/abc'", "=", "projects/p/locations/eu/conversationProfiles/abc"],
    ['conversation_profile = ""', "=", ""],
    ["conversation_profile != ''", "!=", ""],
    ["conversation_profile = bare_word.1", "=", "bare_word.1"],
  ] as const)("reads %s as a string comparison", (text, op, value) => {
    expect(parseFilter(text)).toEqual(compare("conversation_profile", op, { kind: "string", value }));
  });

  const timestampCases = (["start_time", "end_time"] as const).flatMap((field) =>
    (["=", "!=", "<", ">", "<=", ">="] as const).map((op) => [field, op] as const),
  );

  it.each(timestampCases)("reads %s %s with a timestamp", (field, op) => {
    expect(parseFilter(`${field} ${op} "2024-01-31T12:00:00Z"`)).toEqual(compare(field, op, { kind: "timestamp", value: "2024-01-31T12:00:00Z" }));
  });

  const orderingCases = (["lifecycle_state", "conversation_stage", "conversation_profile"] as const).flatMap((field) =>
    (["<", ">", "<=", ">="] as const).map((op) => [field, op] as const),
  );

  it.each(orderingCases)("refuses %s with %s, naming the operator's position", (field, op) => {
    const value = field === "conversation_profile" ? '"x"' : "COMPLETED";
    expect(ruleOf(`${field} ${op} ${value}`)).toBe(`operator "${op}" at position ${field.length + 1} is not supported for ${field}; use = or !=`);
  });

  it.each([
    ["lifecycle_state = DONE", "lifecycle_state", "DONE", 18],
    ["lifecycle_state = LIFECYCLE_STATE_UNSPECIFIED", "lifecycle_state", "LIFECYCLE_STATE_UNSPECIFIED", 18],
    ["lifecycle_state = completed", "lifecycle_state", "completed", 18],
    ["lifecycle_state = 2", "lifecycle_state", "2", 18],
    ['lifecycle_state = "COMPLETED "', "lifecycle_state", "COMPLETED ", 18],
    ["lifecycle_state = __proto__", "lifecycle_state", "__proto__", 18],
    ["lifecycle_state = constructor", "lifecycle_state", "constructor", 18],
    ["lifecycle_state = VIRTUAL_AGENT_STAGE", "lifecycle_state", "VIRTUAL_AGENT_STAGE", 18],
    ["conversation_stage = CONVERSATION_STAGE_UNSPECIFIED", "conversation_stage", "CONVERSATION_STAGE_UNSPECIFIED", 21],
    ["conversation_stage = 1", "conversation_stage", "1", 21],
    ["conversation_stage = COMPLETED", "conversation_stage", "COMPLETED", 21],
    ["conversation_stage = 'toString'", "conversation_stage", "toString", 21],
  ])("refuses %j, naming the value, its position and the names allowed", (text, field, value, position) => {
    const allowed = field === "lifecycle_state" ? "IN_PROGRESS or COMPLETED" : "VIRTUAL_AGENT_STAGE or HUMAN_ASSIST_STAGE";
    expect(ruleOf(text)).toBe(`unknown ${field} value "${value}" at position ${position}; expected ${allowed}`);
  });

  it.each([
    ["colour = RED", "colour", 0],
    ["name = 'x'", "name", 0],
    ["Lifecycle_State = COMPLETED", "Lifecycle_State", 0],
    ["lifecycleState = COMPLETED", "lifecycleState", 0],
    ["conversation.lifecycle_state = COMPLETED", "conversation.lifecycle_state", 0],
    [`${A} AND foo = 1`, "foo", 32],
  ])("refuses the unknown field in %j, naming it, its position and the fields allowed", (text, field, position) => {
    expect(ruleOf(text)).toBe(`unknown field "${field}" at position ${position}; filterable fields are ${FIELD_LIST}`);
  });

  it.each([
    [`${A} and ${B}`, "and", "AND", 28],
    [`${A} or ${B}`, "or", "OR", 28],
    [`not ${A}`, "not", "NOT", 0],
    [`${A} Or ${B}`, "Or", "OR", 28],
  ])("refuses %j, saying that keywords are written in capitals", (text, word, keyword, position) => {
    expect(ruleOf(text)).toBe(`unknown field "${word}" at position ${position}; write the keyword ${keyword} in capitals`);
  });

  it("throws an InvalidFieldError for the filter field", () => {
    expect(() => parseFilter("colour = RED")).toThrow(InvalidFieldError);
    expect(() => parseFilter("colour = RED")).toThrow(/^filter: unknown field "colour"/);
  });
});

describe("parseFilter: whitespace", () => {
  it.each([
    "lifecycle_state=COMPLETED",
    "lifecycle_state =COMPLETED",
    "lifecycle_state= COMPLETED",
    "   lifecycle_state   =   COMPLETED   ",
    "\tlifecycle_state\n=\r\nCOMPLETED\t",
  ])("reads %j the same as with single spaces", (text) => {
    expect(parseFilter(text)).toEqual(a);
  });

  it.each([
    ["lifecycle_state!=COMPLETED", "lifecycle_state", "!="],
    ['start_time<="2024-01-31T12:00:00Z"', "start_time", "<="],
    ['start_time>="2024-01-31T12:00:00Z"', "start_time", ">="],
    ['end_time<"2024-01-31T12:00:00Z"', "end_time", "<"],
    ['end_time>"2024-01-31T12:00:00Z"', "end_time", ">"],
  ] as const)("reads the two-character and one-character operators in %s without spaces", (text, field, op) => {
    expect(parseFilter(text)).toMatchObject({ kind: "compare", field, op });
  });

  it("reads parentheses, keywords and quotes without spaces between them", () => {
    expect(parseFilter("(lifecycle_state=COMPLETED)AND(conversation_stage=VIRTUAL_AGENT_STAGE)OR-(conversation_stage=HUMAN_ASSIST_STAGE)")).toEqual(
      and(a, or(b, not(c))),
    );
    expect(parseFilter(`conversation_profile="x"lifecycle_state=COMPLETED`)).toEqual(and(profile("x"), a));
    expect(parseFilter(`NOT(${A})`)).toEqual(not(a));
  });
});

describe("parseFilter: timestamps", () => {
  it.each([
    ["2024-01-31T12:00:00Z", "2024-01-31T12:00:00Z"],
    ["2024-01-31t12:00:00z", "2024-01-31T12:00:00Z"],
    ["2024-01-31T12:00:00.5Z", "2024-01-31T12:00:00.5Z"],
    ["2024-01-31T12:00:00.123456Z", "2024-01-31T12:00:00.123456Z"],
    ["2024-01-31T12:00:00.123456789Z", "2024-01-31T12:00:00.123456789Z"],
    ["2024-01-31T12:00:00.000000000Z", "2024-01-31T12:00:00.000000000Z"],
    ["2024-01-31T12:00:00+00:00", "2024-01-31T12:00:00Z"],
    ["2024-01-31T12:00:00-00:00", "2024-01-31T12:00:00Z"],
    ["2024-01-31T14:00:00+02:00", "2024-01-31T12:00:00Z"],
    ["2024-01-31T14:30:00+02:30", "2024-01-31T12:00:00Z"],
    ["2024-01-31T14:00:00.25+02:00", "2024-01-31T12:00:00.25Z"],
    ["2024-01-01T01:00:00+02:00", "2023-12-31T23:00:00Z"],
    ["2024-12-31T23:00:00-01:00", "2025-01-01T00:00:00Z"],
    ["2024-02-28T23:00:00-05:00", "2024-02-29T04:00:00Z"],
    ["2023-02-28T23:00:00-05:00", "2023-03-01T04:00:00Z"],
    ["2024-12-31T23:59:59+23:59", "2024-12-31T00:00:59Z"],
    ["2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z"],
    ["0050-06-15T00:00:00Z", "0050-06-15T00:00:00Z"],
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"],
    ["9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999Z"],
  ])("normalizes %s to %s", (given, expected) => {
    expect(parseFilter(`end_time > "${given}"`)).toEqual(compare("end_time", ">", { kind: "timestamp", value: expected }));
  });

  it.each([
    "2024-13-01T00:00:00Z",
    "2024-00-10T00:00:00Z",
    "2024-01-00T00:00:00Z",
    "2024-01-32T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2024-04-31T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:60:00Z",
    "2024-01-01T00:00:60Z",
    "2024-01-01T00:00:00+24:00",
    "2024-01-01T00:00:00+02:60",
    "2024-01-01T00:00:00+0200",
    "2024-01-01T00:00:00+02",
    "2024-01-01",
    "2024-01-01T00:00:00",
    "2024-01-01 00:00:00Z",
    "2024-1-01T00:00:00Z",
    "24-01-01T00:00:00Z",
    "+002024-01-01T00:00:00Z",
    "2024-01-01T00:00Z",
    "2024-01-01T00:00:00.Z",
    "2024-01-01T00:00:00.1234567890Z",
    "2024-01-01T00:00:00,5Z",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:30:00-01:00",
    " 2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00Z ",
    "2024-01-01T00:00:00Z\n",
    "２０２４-01-01T00:00:00Z",
    "1706702400",
    "yesterday",
    "",
  ])("refuses the timestamp %j, naming it and its position", (value) => {
    expect(ruleOf(`start_time > ${quoted(value)}`)).toBe(`invalid timestamp ${JSON.stringify(value)} at position 13: ${RFC3339_HINT}`);
  });

  it("names the position of a bad timestamp deep in a filter", () => {
    expect(ruleOf(`${A} AND end_time <= '2024-02-30T00:00:00Z'`)).toBe(`invalid timestamp "2024-02-30T00:00:00Z" at position 44: ${RFC3339_HINT}`);
  });

  it.each([
    ["start_time > 2024", "start_time", 13],
    ["end_time < 2024-01-01T00:00:00Z", "end_time", 11],
    ["start_time = now", "start_time", 13],
  ])("refuses the unquoted timestamp in %j", (text, field, position) => {
    expect(ruleOf(text)).toBe(`${field} needs a quoted RFC 3339 timestamp at position ${position}, such as "2024-01-31T12:00:00Z"`);
  });
});

describe("parseFilter: strings", () => {
  it.each([
    [String.raw`conversation_profile = "a\"b\\c'd"`, `a"b\\c'd`],
    [String.raw`conversation_profile = 'it\'s'`, "it's"],
    [String.raw`conversation_profile = "it\'s"`, "it's"],
    [`conversation_profile = 'say "hi"'`, 'say "hi"'],
    [`conversation_profile = "it's"`, "it's"],
    [String.raw`conversation_profile = "\\\\"`, "\\\\"],
    [String.raw`conversation_profile = "ends with \\"`, "ends with \\"],
  ])("unescapes %s", (text, value) => {
    expect(parseFilter(text)).toEqual(profile(value));
  });

  it("keeps keywords, operators and parentheses inside a string as data", () => {
    expect(parseFilter(`conversation_profile = "a AND b OR (c) NOT -d != e"`)).toEqual(profile("a AND b OR (c) NOT -d != e"));
    expect(parseFilter(`conversation_profile = "lifecycle_state = COMPLETED"`)).toEqual(profile("lifecycle_state = COMPLETED"));
  });

  it.each([
    [String.raw`conversation_profile = "a\nb"`, 25, '"n"'],
    [String.raw`conversation_profile = "\u0041"`, 24, '"u"'],
    [String.raw`conversation_profile = '\x'`, 24, '"x"'],
    [`conversation_profile = "\\\u{1F600}"`, 24, '"\u{1F600}"'],
  ])("refuses the unsupported escape in %s, naming its position", (text, position, escaped) => {
    expect(ruleOf(text)).toBe(`unsupported escape at position ${position}: inside a string a backslash may precede only ", ' or \\, not ${escaped}`);
  });

  it.each([
    'conversation_profile = "abc',
    "conversation_profile = 'abc",
    `conversation_profile = "abc'`,
    String.raw`conversation_profile = "abc\"`,
    'conversation_profile = "abc\\',
    'conversation_profile = "',
  ])("refuses the unterminated string in %s, naming where it starts", (text) => {
    expect(ruleOf(text)).toBe("unterminated string starting at position 23");
  });
});

describe("parseFilter: precedence", () => {
  it.each([
    [`${A} AND ${B} OR ${C}`, and(a, or(b, c))],
    [`${A} OR ${B} AND ${C}`, and(or(a, b), c)],
    [`${A} OR ${B} OR ${C}`, or(or(a, b), c)],
    [`${A} AND ${B} AND ${C}`, and(and(a, b), c)],
    [`${A} ${B}`, and(a, b)],
    [`${A} ${B} ${C}`, and(and(a, b), c)],
    [`${A} ${B} OR ${C}`, and(a, or(b, c))],
    [`${A} OR ${B} ${C}`, and(or(a, b), c)],
    [`${A} ${B} AND ${C}`, and(and(a, b), c)],
    [`(${A} AND ${B}) OR ${C}`, or(and(a, b), c)],
    [`${A} AND (${B} OR ${C})`, and(a, or(b, c))],
    [`(${A} OR ${B}) AND ${C}`, and(or(a, b), c)],
    [`${A} OR (${B} AND ${C})`, or(a, and(b, c))],
    [`((${A}))`, a],
    [`(((${A}) OR (${B})))`, or(a, b)],
    [`NOT ${A} AND ${B}`, and(not(a), b)],
    [`NOT ${A} OR ${B}`, or(not(a), b)],
    [`${A} OR NOT ${B}`, or(a, not(b))],
    [`-${A} OR ${B}`, or(not(a), b)],
    [`- ${A}`, not(a)],
    [`NOT (${A} OR ${B})`, not(or(a, b))],
    [`-(${A} AND ${B})`, not(and(a, b))],
    [`NOT NOT ${A}`, not(not(a))],
    [`--${A}`, not(not(a))],
    [`NOT -${A}`, not(not(a))],
    [`${A} -${B}`, and(a, not(b))],
  ])("reads %s", (text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });
});

describe("parseFilter: syntax errors name what and where", () => {
  it.each([
    ["lifecycle_state = ", 'expected a value after "=" at position 18, but the filter ended'],
    ["lifecycle_state =", 'expected a value after "=" at position 17, but the filter ended'],
    ["lifecycle_state == COMPLETED", 'expected a value after "=" at position 17, found "="'],
    ["lifecycle_state = (COMPLETED)", 'expected a value after "=" at position 18, found "("'],
    ["lifecycle_state = -COMPLETED", 'expected a value after "=" at position 18, found "-"'],
    ["lifecycle_state COMPLETED", 'expected an operator (= != < > <= >=) after lifecycle_state at position 16, found "COMPLETED"'],
    ["lifecycle_state", "expected an operator (= != < > <= >=) after lifecycle_state at position 15, but the filter ended"],
    [`start_time "2024-01-01T00:00:00Z"`, 'expected an operator (= != < > <= >=) after start_time at position 11, found "2024-01-01T00:00:00Z"'],
    [`(${A}`, 'expected ")" to close the "(" at position 0, but the filter ended'],
    [`${A} AND ((${B})`, 'expected ")" to close the "(" at position 32, but the filter ended'],
    [`${A})`, 'unexpected ")" at position 27 with no "(" to close'],
    [`(${A}))`, 'unexpected ")" at position 29 with no "(" to close'],
    [`${A} AND`, "expected a field name at position 31, but the filter ended"],
    [`${A} OR`, "expected a field name at position 30, but the filter ended"],
    [`${A} AND OR ${B}`, 'expected a field name at position 32, found "OR"'],
    [`${A} OR AND ${B}`, 'expected a field name at position 31, found "AND"'],
    [`AND ${A}`, 'expected a field name at position 0, found "AND"'],
    [`OR ${A}`, 'expected a field name at position 0, found "OR"'],
    ["NOT", "expected a field name at position 3, but the filter ended"],
    ["-", "expected a field name at position 1, but the filter ended"],
    ["()", 'expected a field name at position 1, found ")"'],
    [`${A} ()`, 'expected a field name at position 29, found ")"'],
    ["= COMPLETED", 'expected a field name at position 0, found "="'],
    ['"lifecycle_state" = COMPLETED', 'expected a field name at position 0, found "lifecycle_state"'],
    [`${A} & ${B}`, 'unexpected character "&" at position 28'],
    [`${A} && ${B}`, 'unexpected character "&" at position 28'],
    [`${A} || ${B}`, 'unexpected character "|" at position 28'],
    ["lifecycle_state : COMPLETED", 'unexpected character ":" at position 16'],
    ["lifecycle_state ! COMPLETED", 'unexpected character "!" at position 16'],
    ["lifecycle_state IN (COMPLETED)", 'expected an operator (= != < > <= >=) after lifecycle_state at position 16, found "IN"'],
  ])("refuses %j: %s", (text, rule) => {
    expect(ruleOf(text)).toBe(rule);
  });
});

describe("parseFilter: error order", () => {
  it.each([
    ["colour = RED; DROP", `unknown field "colour" at position 0; filterable fields are ${FIELD_LIST}`],
    [`lifecycle_state < COMPLETED "unterminated`, 'operator "<" at position 16 is not supported for lifecycle_state; use = or !='],
    [`${A} AND (${B}`, 'expected ")" to close the "(" at position 32, but the filter ended'],
    ["colour;", `unknown field "colour" at position 0; filterable fields are ${FIELD_LIST}`],
    ['lifecycle_state <"unterminated', 'operator "<" at position 16 is not supported for lifecycle_state; use = or !='],
    ["lifecycle_state = DONE;", 'unknown lifecycle_state value "DONE" at position 18; expected IN_PROGRESS or COMPLETED'],
    ['start_time > "2024-13-01"\u0000', `invalid timestamp "2024-13-01" at position 13: ${RFC3339_HINT}`],
  ])("reports the first problem in reading order for %j", (text, rule) => {
    expect(ruleOf(text)).toBe(rule);
  });
});

describe("parseFilter: hostile input", () => {
  it.each([
    ["' OR 1=1 --", "unterminated string starting at position 0"],
    [`" OR ""="`, `expected a field name at position 0, found " OR "`],
    [`${A}' OR '1'='1`, `expected a field name at position 27, found " OR "`],
    [`${A} -- comment`, `unknown field "comment" at position 31; filterable fields are ${FIELD_LIST}`],
    [`${A} /* x */`, 'unexpected character "/" at position 28'],
    [`${A}; DROP TABLE conversations --`, 'unexpected character ";" at position 27'],
    ["lifecycle_state = IN_PROGRESS; DROP TABLE conversations --", 'unexpected character ";" at position 29'],
    [`${A}; SELECT pg_sleep(10)`, 'unexpected character ";" at position 27'],
    [`${A} UNION SELECT 1`, `unknown field "UNION" at position 28; filterable fields are ${FIELD_LIST}`],
    [`${A}\``, 'unexpected character "`" at position 27'],
    ["$1 = 1", 'unexpected character "$" at position 0'],
    ["lifecycle_state = \u0000", 'unexpected character "\\u0000" at position 18'],
    ["lifecycle_state\u0000= COMPLETED", 'unexpected character "\\u0000" at position 15'],
    ["lifecycle_state = C\u00D6MPLETED", 'unknown lifecycle_state value "C" at position 18; expected IN_PROGRESS or COMPLETED'],
    ["conversation_stage\u00D6 = HUMAN_ASSIST_STAGE", 'unexpected character "\u00D6" at position 18'],
    ["\u202Elifecycle_state = COMPLETED", 'unexpected character "\\u202e" at position 0'],
    ["lifecycle_state = \u200BCOMPLETED", 'unexpected character "\\u200b" at position 18'],
    ["lifecycle_state = \u{1F600}", 'unexpected character "\u{1F600}" at position 18'],
    ["lifecycle_state = \uD83D", 'unexpected character "\\ud83d" at position 18'],
    ["conversation_profile = مرحبا", 'unexpected character "م" at position 23'],
    ["ｌifecycle_state = COMPLETED", 'unexpected character "ｌ" at position 0'],
    [`conversation_profile = "a\u0000b"`, "NUL character at position 25 in the string starting at position 23; values cannot contain NUL"],
  ])("refuses %j outside the grammar: %s", (text, rule) => {
    expect(ruleOf(text)).toBe(rule);
  });

  const dataValues = [
    "'; DROP TABLE conversations; --",
    "' OR 1=1 --",
    "' OR '1'='1",
    `" OR ""="`,
    "Robert'); DROP TABLE students;--",
    "-- comment",
    "/* x */",
    "$1",
    "$1::text",
    "\\",
    "\\'",
    ")(",
    "AND OR NOT -",
    "\u{1F600} emoji \u{1F468}\u200D\u{1F469}\u200D\u{1F467}",
    "مرحبا \u202E RTL \u202C",
    "עברית",
    "\uD83D",
    "line\nbreak\ttab\r",
    "\u00A0\u2028\uFEFF",
  ];

  it.each(dataValues)("keeps %j inside a double-quoted string as plain data", (value) => {
    expect(parseFilter(`conversation_profile = ${quoted(value)}`)).toEqual(profile(value));
  });

  it.each(dataValues)("keeps %j inside a single-quoted string as plain data", (value) => {
    expect(parseFilter(`conversation_profile != ${quoted(value, "'")}`)).toEqual(compare("conversation_profile", "!=", { kind: "string", value }));
  });

  it("accepts a 10 kB quoted value", () => {
    const value = "x".repeat(10_000);
    expect(parseFilter(`conversation_profile = "${value}"`)).toEqual(profile(value));
  });

  it("accepts a filter of exactly 20000 characters and refuses one more", () => {
    const prefix = 'conversation_profile = "';
    const value = "y".repeat(20_000 - prefix.length - 1);
    expect(parseFilter(`${prefix}${value}"`)).toEqual(profile(value));
    expect(ruleOf(`${prefix}${value}y"`)).toBe("filter must be at most 20000 characters (it has 20001)");
  });

  it("refuses a 25 kB filter before reading it", () => {
    expect(ruleOf(`conversation_profile = "${"x".repeat(25_000 - 25)}"`)).toBe("filter must be at most 20000 characters (it has 25000)");
    expect(ruleOf(";".repeat(25_000))).toBe("filter must be at most 20000 characters (it has 25000)");
  });

  it("accepts 32 levels of nesting and refuses 33, naming where", () => {
    expect(parseFilter(`${"(".repeat(32)}${A}${")".repeat(32)}`)).toEqual(a);
    expect(ruleOf(`${"(".repeat(33)}${A}${")".repeat(33)}`)).toBe("nesting deeper than 32 levels of parentheses or NOT at position 32");
    expect(parseFilter(`${"NOT ".repeat(31)}(${A})`)).toMatchObject({ kind: "not" });
    expect(ruleOf(`${"NOT ".repeat(32)}(${A})`)).toBe("nesting deeper than 32 levels of parentheses or NOT at position 128");
  });

  it("refuses 1000 nested parentheses without overflowing the stack", () => {
    expect(ruleOf(`${"(".repeat(1000)}${A}${")".repeat(1000)}`)).toBe("nesting deeper than 32 levels of parentheses or NOT at position 32");
  });

  it.each([
    ["NOT", `${"NOT ".repeat(1000)}${A}`, 128],
    ["-", `${"-".repeat(19_000)}${A}`, 32],
    ["NOT (", `${"NOT (".repeat(1000)}${A}${")".repeat(1000)}`, 80],
    ["(", "(".repeat(20_000), 32],
  ])("refuses a long run of %j without overflowing the stack", (_run, text, position) => {
    expect(ruleOf(text)).toBe(`nesting deeper than 32 levels of parentheses or NOT at position ${position}`);
  });

  it("counts depth per branch, so many shallow groups are fine", () => {
    const group = `${"(".repeat(30)}${A}${")".repeat(30)}`;
    const parsed = parseFilter(Array.from({ length: 50 }, () => group).join(" AND "));
    expect(parsed).toMatchObject({ kind: "and", right: a });
  });

  it("accepts 100 comparisons", () => {
    const parsed = parseFilter(Array.from({ length: 100 }, () => A).join(" OR "));
    let count = 0;
    for (let node = parsed; node?.kind === "or"; node = node.left) count++;
    expect(count).toBe(99);
  });

  it.each([101, 200])("refuses %i comparisons, naming where the 101st starts", (n) => {
    // Each "lifecycle_state = COMPLETED OR " is 31 characters, so the 101st starts at 3100.
    expect(ruleOf(Array.from({ length: n }, () => A).join(" OR "))).toBe("more than 100 comparisons; the one at position 3100 is number 101");
  });

  it("counts comparisons across parentheses and negations", () => {
    const text = Array.from({ length: 101 }, (_, i) => (i % 2 === 0 ? `(NOT ${A})` : `-${B}`)).join(" ");
    expect(ruleOf(text)).toMatch(/^more than 100 comparisons; the one at position \d+ is number 101$/);
  });
});
