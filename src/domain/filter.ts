import { InvalidFieldError } from "./errors.js";
import { canonicalProfileReference } from "./names.js";

// The AIP-160 subset ListConversations accepts, parsed into a small tree that
// the store compiles to parameterised SQL. Pure: no I/O and no SQL here.
// Positions in error messages are 0-based offsets into the filter text.

export type FilterField = "lifecycle_state" | "conversation_stage" | "conversation_profile" | "start_time" | "end_time";
export type Comparator = "=" | "!=" | "<" | ">" | "<=" | ">=";

export type FilterExpr =
  | { kind: "and"; left: FilterExpr; right: FilterExpr }
  | { kind: "or"; left: FilterExpr; right: FilterExpr }
  | { kind: "not"; operand: FilterExpr }
  | { kind: "compare"; field: FilterField; op: Comparator; value: FilterValue };

export type FilterValue =
  /** lifecycle_state / conversation_stage, as the proto enum number. */
  | { kind: "enum"; value: number }
  /** conversation_profile, in its located form (either spelling of a global profile matches). */
  | { kind: "string"; value: string }
  /** start_time / end_time: RFC 3339 in UTC ("...Z"), fraction kept as given (up to 9 digits). */
  | { kind: "timestamp"; value: string };

// Bounds for hostile input. The parser recurses once per level of nesting,
// so depth, not length, is what could exhaust the stack.
const MAX_LENGTH = 20_000;
const MAX_DEPTH = 32;
const MAX_COMPARISONS = 100;

const FIELDS: readonly FilterField[] = ["lifecycle_state", "conversation_stage", "conversation_profile", "start_time", "end_time"];
// Names only: clients filter by what they read in responses, and the UNSPECIFIED names never appear there.
const ENUM_VALUES: Partial<Record<FilterField, ReadonlyMap<string, number>>> = {
  lifecycle_state: new Map([["IN_PROGRESS", 1], ["COMPLETED", 2]]),
  conversation_stage: new Map([["VIRTUAL_AGENT_STAGE", 1], ["HUMAN_ASSIST_STAGE", 2]]),
};
const EQUALITY_ONLY: ReadonlySet<FilterField> = new Set(["lifecycle_state", "conversation_stage", "conversation_profile"]);

/** Parses a filter; undefined when it is blank. Throws InvalidFieldError("filter", rule) naming what and where. */
export function parseFilter(text: string): FilterExpr | undefined {
  if (text.length > MAX_LENGTH) throw fail(`filter must be at most ${MAX_LENGTH} characters (it has ${text.length})`);
  const state: ParseState = { text, token: undefined, scanned: 0, depth: 0, comparisons: 0 };
  advance(state);
  if (state.token === undefined) return undefined;
  const expr = parseConjunction(state);
  const extra = state.token;
  if (extra !== undefined) throw fail(`unexpected ${describe(extra)} at position ${extra.at} with no "(" to close`);
  return expr;
}

const NEGATED: Readonly<Record<Comparator, Comparator>> = { "=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">" };

/**
 * The terms every match must satisfy: the filter split at its top-level ANDs,
 * with NOT pushed down through OR (De Morgan) and into comparisons. Lets a
 * store pick an index range from them. Exact in SQL's three-valued logic too:
 * a comparison with NULL and its negation are both NULL, as is NOT of NULL.
 */
export function conjuncts(expr: FilterExpr): FilterExpr[] {
  switch (expr.kind) {
    case "and":
      return [...conjuncts(expr.left), ...conjuncts(expr.right)];
    case "not": {
      const operand = expr.operand;
      if (operand.kind === "not") return conjuncts(operand.operand);
      if (operand.kind === "compare") return [{ ...operand, op: NEGATED[operand.op] }];
      if (operand.kind === "or") return [...conjuncts({ kind: "not", operand: operand.left }), ...conjuncts({ kind: "not", operand: operand.right })];
      return [expr];
    }
    default:
      return [expr];
  }
}

type Token =
  | { type: "(" | ")" | "-"; at: number }
  | { type: "op"; op: Comparator; at: number }
  | { type: "word"; text: string; at: number }
  | { type: "string"; text: string; at: number };

type ValueToken = Extract<Token, { type: "word" | "string" }>;

const SPACE = /\s+/y;
const WORD = /[A-Za-z0-9_.]+/y;
const OPERATORS: readonly Comparator[] = ["!=", "<=", ">=", "=", "<", ">"]; // longest first
const ESCAPABLE: ReadonlySet<string> = new Set(['"', "'", "\\"]);

/** Reads the token after any whitespace from `from`; undefined at the end of the text. */
function readToken(text: string, from: number): { token: Token; end: number } | undefined {
  const at = from + matchAt(SPACE, text, from);
  if (at >= text.length) return undefined;
  const char = text[at]!;
  if (char === "(" || char === ")" || char === "-") return { token: { type: char, at }, end: at + 1 };
  if (char === '"' || char === "'") {
    const { value, end } = readString(text, at);
    return { token: { type: "string", text: value, at }, end };
  }
  const word = matchAt(WORD, text, at);
  if (word > 0) return { token: { type: "word", text: text.slice(at, at + word), at }, end: at + word };
  const op = OPERATORS.find((candidate) => text.startsWith(candidate, at));
  if (op !== undefined) return { token: { type: "op", op, at }, end: at + op.length };
  throw fail(`unexpected character ${quote(codePointAt(text, at))} at position ${at}`);
}

/** Length of the sticky pattern's match at `at`, 0 if none. */
function matchAt(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0].length ?? 0;
}

/** Reads the quoted string opening at `start`; all but the quote, a backslash and NUL is plain data. */
function readString(text: string, start: number): { value: string; end: number } {
  const quoteChar = text[start];
  let value = "";
  let run = start + 1;
  for (let at = run; at < text.length; at++) {
    const char = text[at];
    if (char === quoteChar) return { value: value + text.slice(run, at), end: at + 1 };
    // Postgres text cannot hold NUL, so such a value could only fail the query.
    if (char === "\0") throw fail(`NUL character at position ${at} in the string starting at position ${start}; values cannot contain NUL`);
    if (char !== "\\" || at + 1 >= text.length) continue;
    const escaped = text[at + 1]!;
    if (!ESCAPABLE.has(escaped)) {
      throw fail(`unsupported escape at position ${at}: inside a string a backslash may precede only ", ' or \\, not ${quote(codePointAt(text, at + 1))}`);
    }
    value += text.slice(run, at) + escaped;
    at++;
    run = at + 1;
  }
  throw fail(`unterminated string starting at position ${start}`);
}

// Tokens are read one at a time as the parser asks, so errors come in reading order.
interface ParseState {
  readonly text: string;
  /** The token the parser is looking at; undefined at the end. */
  token: Token | undefined;
  /** Where reading the next token starts. */
  scanned: number;
  depth: number;
  comparisons: number;
}

// AIP-160 precedence: NOT and "-" bind tightest, then OR, then AND (explicit,
// or implicit between adjacent terms), so `a AND b OR c` is `a AND (b OR c)`.
function parseConjunction(state: ParseState): FilterExpr {
  let left = parseDisjunction(state);
  for (;;) {
    const token = state.token;
    if (token === undefined || token.type === ")") return left;
    if (isKeyword(token, "AND")) advance(state);
    left = { kind: "and", left, right: parseDisjunction(state) };
  }
}

function parseDisjunction(state: ParseState): FilterExpr {
  let left = parseTerm(state);
  while (isKeyword(state.token, "OR")) {
    advance(state);
    left = { kind: "or", left, right: parseTerm(state) };
  }
  return left;
}

function parseTerm(state: ParseState): FilterExpr {
  const token = state.token;
  if (token !== undefined && (token.type === "-" || isKeyword(token, "NOT"))) {
    advance(state);
    return nest(state, token.at, () => ({ kind: "not", operand: parseTerm(state) }));
  }
  if (token?.type === "(") {
    advance(state);
    return nest(state, token.at, () => {
      const inner = parseConjunction(state);
      // parseConjunction stops only at the end or at a ")".
      if (state.token === undefined) throw fail(`expected ")" to close the "(" at position ${token.at}, but the filter ended`);
      advance(state);
      return inner;
    });
  }
  return parseComparison(state);
}

function nest(state: ParseState, at: number, parse: () => FilterExpr): FilterExpr {
  if (++state.depth > MAX_DEPTH) throw fail(`nesting deeper than ${MAX_DEPTH} levels of parentheses or NOT at position ${at}`);
  const expr = parse();
  state.depth--;
  return expr;
}

// Each token is checked before the next is read, so the first problem from the left is the one reported.
function parseComparison(state: ParseState): FilterExpr {
  const fieldToken = state.token;
  if (fieldToken?.type !== "word" || isKeyword(fieldToken, "AND") || isKeyword(fieldToken, "OR")) {
    throw fail(`expected a field name at position ${found(state, fieldToken)}`);
  }
  const field = readField(fieldToken);
  advance(state);
  const opToken = state.token;
  if (opToken?.type !== "op") throw fail(`expected an operator (= != < > <= >=) after ${field} at position ${found(state, opToken)}`);
  if (EQUALITY_ONLY.has(field) && opToken.op !== "=" && opToken.op !== "!=") {
    throw fail(`operator "${opToken.op}" at position ${opToken.at} is not supported for ${field}; use = or !=`);
  }
  advance(state);
  const valueToken = state.token;
  if (valueToken?.type !== "word" && valueToken?.type !== "string") {
    throw fail(`expected a value after "${opToken.op}" at position ${found(state, valueToken)}`);
  }
  if (++state.comparisons > MAX_COMPARISONS) {
    throw fail(`more than ${MAX_COMPARISONS} comparisons; the one at position ${fieldToken.at} is number ${state.comparisons}`);
  }
  const value = readValue(field, valueToken);
  advance(state);
  return { kind: "compare", field, op: opToken.op, value };
}

function readField(token: ValueToken): FilterField {
  const field = FIELDS.find((candidate) => candidate === token.text);
  if (field !== undefined) return field;
  const upper = token.text.toUpperCase();
  const hint = upper === "AND" || upper === "OR" || upper === "NOT" ? `write the keyword ${upper} in capitals` : `filterable fields are ${FIELDS.join(", ")}`;
  throw fail(`unknown field ${quote(token.text)} at position ${token.at}; ${hint}`);
}

function readValue(field: FilterField, token: ValueToken): FilterValue {
  const names = ENUM_VALUES[field];
  if (names !== undefined) {
    const value = names.get(token.text);
    if (value === undefined) {
      throw fail(`unknown ${field} value ${quote(token.text)} at position ${token.at}; expected ${[...names.keys()].join(" or ")}`);
    }
    return { kind: "enum", value };
  }
  if (field === "conversation_profile") return { kind: "string", value: canonicalProfileReference(token.text) };
  if (token.type !== "string") {
    throw fail(`${field} needs a quoted RFC 3339 timestamp at position ${token.at}, such as "2024-01-31T12:00:00Z"`);
  }
  const value = normalizeTimestamp(token.text);
  if (value === undefined) {
    throw fail(`invalid timestamp ${quote(token.text)} at position ${token.at}: expected RFC 3339 such as "2024-01-31T12:00:00Z"`);
  }
  return { kind: "timestamp", value };
}

const RFC3339 =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})[Tt](?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})(?<fraction>\.\d{1,9})?(?:[Zz]|(?<sign>[+-])(?<offsetHours>\d{2}):(?<offsetMinutes>\d{2}))$/;

/** Strict RFC 3339 (real dates, in-range times) to UTC "...Z"; undefined when invalid. */
function normalizeTimestamp(text: string): string | undefined {
  const parts = RFC3339.exec(text)?.groups;
  if (parts === undefined) return undefined;
  const [year, month, day] = [Number(parts.year), Number(parts.month), Number(parts.day)];
  const [hour, minute, second] = [Number(parts.hour), Number(parts.minute), Number(parts.second)];
  const [offsetHours, offsetMinutes] = [Number(parts.offsetHours ?? 0), Number(parts.offsetMinutes ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offset = (parts.sign === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads years 0-99 as 1900-1999
  date.setUTCHours(hour, minute - offset, second, 0);
  // Postgres has no year 0, and RFC 3339 has no years past 9999.
  if (date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) return undefined;
  return `${date.toISOString().slice(0, 19)}${parts.fraction ?? ""}Z`;
}

function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0); // day 0 of the next month is the last of this one
  return date.getUTCDate();
}

function advance(state: ParseState): void {
  const next = readToken(state.text, state.scanned);
  state.token = next?.token;
  state.scanned = next?.end ?? state.text.length;
}

/** "N, found X" for an unexpected token, or "N, but the filter ended". */
function found(state: ParseState, token: Token | undefined): string {
  return token === undefined ? `${state.text.length}, but the filter ended` : `${token.at}, found ${describe(token)}`;
}

function isKeyword(token: Token | undefined, keyword: "AND" | "OR" | "NOT"): boolean {
  return token?.type === "word" && token.text === keyword;
}

function describe(token: Token): string {
  if (token.type === "word" || token.type === "string") return quote(token.text);
  return token.type === "op" ? `"${token.op}"` : `"${token.type}"`;
}

function codePointAt(text: string, at: number): string {
  return String.fromCodePoint(text.codePointAt(at)!);
}

/** Quotes text for a message: shortened, with control and bidi characters escaped so it reads as it is. */
function quote(text: string): string {
  const points = Array.from(text);
  const short = points.length > 60 ? `${points.slice(0, 57).join("")}...` : text;
  return JSON.stringify(short).replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}]/gu, (char) => {
    const code = char.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

function fail(rule: string): InvalidFieldError {
  return new InvalidFieldError("filter", rule, "INVALID_FILTER");
}
