import { InvalidFieldError } from "./errors.js";

// The AIP-160 subset ListConversations accepts, parsed into a small tree that
// the store turns into parameterised SQL. Pure: no I/O, no SQL here.

export type FilterField = "lifecycle_state" | "conversation_stage" | "conversation_profile" | "start_time" | "end_time";
export type Comparator = "=" | "!=" | "<" | ">" | "<=" | ">=";

export type FilterValue =
  | { readonly kind: "enum"; readonly value: number }
  | { readonly kind: "string"; readonly value: string }
  /** RFC 3339 in UTC ("...Z"), at most microsecond precision, castable with ::timestamptz. */
  | { readonly kind: "timestamp"; readonly value: string };

export type FilterExpr =
  | { readonly kind: "and"; readonly left: FilterExpr; readonly right: FilterExpr }
  | { readonly kind: "or"; readonly left: FilterExpr; readonly right: FilterExpr }
  | { readonly kind: "not"; readonly operand: FilterExpr }
  | { readonly kind: "compare"; readonly field: FilterField; readonly op: Comparator; readonly value: FilterValue };

export const MAX_FILTER_LENGTH = 20_000;
const MAX_DEPTH = 32;
const MAX_COMPARISONS = 100;

const ENUMS: Partial<Record<FilterField, Readonly<Record<string, number>>>> = {
  lifecycle_state: { IN_PROGRESS: 1, COMPLETED: 2 },
  conversation_stage: { VIRTUAL_AGENT_STAGE: 1, HUMAN_ASSIST_STAGE: 2 },
};
const FIELDS: readonly FilterField[] = ["lifecycle_state", "conversation_stage", "conversation_profile", "start_time", "end_time"];
const EQUALITY_ONLY = new Set<FilterField>(["lifecycle_state", "conversation_stage", "conversation_profile"]);

type Token =
  | { readonly type: "(" | ")" | "-"; readonly at: number }
  | { readonly type: "op"; readonly op: Comparator; readonly at: number }
  | { readonly type: "word"; readonly text: string; readonly at: number }
  | { readonly type: "string"; readonly text: string; readonly at: number };

/** Parses a filter; undefined when it is empty. Throws InvalidFieldError("filter", ...) naming the position. */
export function parseFilter(text: string): FilterExpr | undefined {
  if (text.length > MAX_FILTER_LENGTH) {
    throw fail(`filter must be at most ${MAX_FILTER_LENGTH} characters (got ${text.length})`);
  }
  const tokens = tokenize(text);
  if (tokens.length === 0) return undefined;
  return new Parser(tokens, text.length).parseAll();
}

function fail(rule: string): InvalidFieldError {
  return new InvalidFieldError("filter", rule);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

const OPERATORS: readonly Comparator[] = ["!=", "<=", ">=", "=", "<", ">"];
const WORD_START = /[A-Za-z0-9_]/;
const WORD_PART = /[A-Za-z0-9_.]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "(" || char === ")" || char === "-") {
      tokens.push({ type: char, at: i++ });
    } else if (char === '"' || char === "'") {
      const start = i;
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw fail(`unterminated string starting at position ${start}`);
        const c = text[i]!;
        if (c === char) break;
        if (c === "\\") {
          if (i + 1 >= text.length) throw fail(`unterminated string starting at position ${start}`);
          value += text[i + 1];
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      i++;
      tokens.push({ type: "string", text: value, at: start });
    } else if (WORD_START.test(char)) {
      const start = i;
      while (i < text.length && WORD_PART.test(text[i]!)) i++;
      tokens.push({ type: "word", text: text.slice(start, i), at: start });
    } else {
      const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
      if (op === undefined) throw fail(`unexpected character ${quote(char)} at position ${i}`);
      tokens.push({ type: "op", op, at: i });
      i += op.length;
    }
  }
  return tokens;
}

// Precedence as AIP-160 defines it: OR binds tighter than AND (and than the
// implicit AND of adjacent terms); NOT and "-" bind tightest.
class Parser {
  private next = 0;
  private depth = 0;
  private comparisons = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly end: number,
  ) {}

  parseAll(): FilterExpr {
    const expr = this.parseAnd();
    const extra = this.peek();
    if (extra !== undefined) throw fail(`unexpected ${describe(extra)} at position ${extra.at}`);
    return expr;
  }

  private parseAnd(): FilterExpr {
    let left = this.parseOr();
    for (;;) {
      const token = this.peek();
      if (token === undefined || token.type === ")") return left;
      if (isKeyword(token, "AND")) this.next++;
      left = { kind: "and", left, right: this.parseOr() };
    }
  }

  private parseOr(): FilterExpr {
    let left = this.parseUnary();
    while (isKeyword(this.peek(), "OR")) {
      this.next++;
      left = { kind: "or", left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterExpr {
    const token = this.peek();
    if (token === undefined) throw fail(`expected a comparison at position ${this.end}, but the filter ended`);
    if (isKeyword(token, "NOT") || token.type === "-") {
      this.next++;
      return this.nested(token.at, () => ({ kind: "not", operand: this.parseUnary() }));
    }
    if (token.type === "(") {
      this.next++;
      return this.nested(token.at, () => {
        const inner = this.parseAnd();
        const close = this.peek();
        if (close?.type !== ")") {
          throw fail(`expected ")" to close the "(" at position ${token.at}, ${close === undefined ? "but the filter ended" : `found ${describe(close)} at position ${close.at}`}`);
        }
        this.next++;
        return inner;
      });
    }
    return this.parseComparison();
  }

  private nested(at: number, parse: () => FilterExpr): FilterExpr {
    if (++this.depth > MAX_DEPTH) throw fail(`nesting deeper than ${MAX_DEPTH} levels at position ${at}`);
    const expr = parse();
    this.depth--;
    return expr;
  }

  private parseComparison(): FilterExpr {
    const fieldToken = this.take();
    if (fieldToken.type !== "word" || isKeyword(fieldToken, "AND") || isKeyword(fieldToken, "OR")) {
      throw fail(`expected a field name at position ${fieldToken.at}, found ${describe(fieldToken)}`);
    }
    const field = FIELDS.find((candidate) => candidate === fieldToken.text);
    if (field === undefined) {
      throw fail(`unknown field ${quote(fieldToken.text)} at position ${fieldToken.at}; filterable fields are ${FIELDS.join(", ")}`);
    }
    const opToken = this.peek();
    if (opToken?.type !== "op") {
      throw fail(`expected an operator (= != < > <= >=) after ${field} at position ${opToken?.at ?? this.end}`);
    }
    this.next++;
    if (EQUALITY_ONLY.has(field) && opToken.op !== "=" && opToken.op !== "!=") {
      throw fail(`operator "${opToken.op}" at position ${opToken.at} is not supported for ${field}; use = or !=`);
    }
    const valueToken = this.peek();
    if (valueToken?.type !== "word" && valueToken?.type !== "string") {
      throw fail(`expected a value after "${opToken.op}" at position ${valueToken?.at ?? this.end}`);
    }
    this.next++;
    if (++this.comparisons > MAX_COMPARISONS) throw fail(`more than ${MAX_COMPARISONS} comparisons`);
    return { kind: "compare", field, op: opToken.op, value: readValue(field, valueToken) };
  }

  private peek(): Token | undefined {
    return this.tokens[this.next];
  }

  private take(): Token {
    const token = this.tokens[this.next++];
    if (token === undefined) throw fail(`expected a comparison at position ${this.end}, but the filter ended`);
    return token;
  }
}

function readValue(field: FilterField, token: Extract<Token, { type: "word" | "string" }>): FilterValue {
  const names = ENUMS[field];
  if (names !== undefined) {
    const value = Object.hasOwn(names, token.text) ? names[token.text] : undefined;
    if (value === undefined) {
      throw fail(`unknown ${field} value ${quote(token.text)} at position ${token.at}; expected ${Object.keys(names).join(" or ")}`);
    }
    return { kind: "enum", value };
  }
  if (field === "conversation_profile") return { kind: "string", value: token.text };
  if (token.type !== "string") {
    throw fail(`${field} at position ${token.at} needs a quoted RFC 3339 timestamp such as "2024-01-31T12:00:00Z"`);
  }
  const timestamp = normalizeTimestamp(token.text);
  if (timestamp === undefined) {
    throw fail(`invalid timestamp ${quote(token.text)} at position ${token.at}: expected RFC 3339 such as "2024-01-31T12:00:00Z"`);
  }
  return { kind: "timestamp", value: timestamp };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Strict RFC 3339 (real calendar dates, in-range times) to UTC "...Z", truncated to microseconds. */
export function normalizeTimestamp(text: string): string | undefined {
  const match = RFC3339.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = match[7] ?? "";
  const offsetHours = Number(match[10] ?? 0);
  const offsetMinutes = Number(match[11] ?? 0);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const sign = match[9] === "-" ? -1 : 1;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second) - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  const date = new Date(utc);
  // Date.UTC maps years 0-99 to 1900-1999; set the year explicitly.
  if (year < 100) date.setUTCFullYear(date.getUTCFullYear() - 1900);
  const whole = date.toISOString().slice(0, 19);
  if (!/^\d{4}-/.test(whole)) return undefined; // outside 0000-9999 after the offset
  return fraction === "" ? `${whole}Z` : `${whole}.${fraction.slice(0, 6)}Z`;
}

function isKeyword(token: Token | undefined, keyword: "AND" | "OR" | "NOT"): boolean {
  return token?.type === "word" && token.text === keyword;
}

function describe(token: Token): string {
  switch (token.type) {
    case "word":
    case "string":
      return quote(token.text);
    case "op":
      return `"${token.op}"`;
    default:
      return `"${token.type}"`;
  }
}
