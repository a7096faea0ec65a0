import { InvalidFieldError } from "./errors.js";

// The filter ListMessages documents: comparisons on `create_time` (RFC 3339)
// and `create_time_epoch_microseconds` (an integer), joined by AND, e.g.
// `create_time_epoch_microseconds > 1551790877964485` or
// `create_time > 2017-01-15T01:30:15.01Z`. Pure; read into microsecond bounds.

export type MessageComparator = "=" | "!=" | "<" | ">" | "<=" | ">=";

export interface MessageTimeComparison {
  readonly op: MessageComparator;
  /** Microseconds since the epoch. */
  readonly micros: bigint;
}

const MAX_LENGTH = 2_000;
const COMPARISON = /^(create_time_epoch_microseconds|create_time)\s*(<=|>=|!=|=|<|>)\s*(.+)$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const FORMS = 'create_time_epoch_microseconds > 1551790877964485 or create_time > "2017-01-15T01:30:15.01Z", joined by AND';

export function parseMessageFilter(text: string): MessageTimeComparison[] {
  if (text.trim() === "") return [];
  if (text.length > MAX_LENGTH) throw invalid(`must be at most ${MAX_LENGTH} characters (it has ${text.length})`, text);
  return text
    .trim()
    .split(/\s+AND\s+/)
    .map((part) => {
      const match = COMPARISON.exec(part.trim());
      if (match === null) throw invalid(`"${abbreviate(part)}" is not a comparison this filter supports; use ${FORMS}`, text);
      const [, field, op, rawValue] = match as unknown as [string, string, MessageComparator, string];
      const value = rawValue.trim().replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
      return { op, micros: field === "create_time" ? timestampMicros(value, text) : epochMicros(value, text) };
    });
}

function epochMicros(value: string, filter: string): bigint {
  if (!/^\d{1,19}$/.test(value)) throw invalid(`create_time_epoch_microseconds takes a non-negative integer, not "${abbreviate(value)}"`, filter);
  return BigInt(value);
}

function timestampMicros(value: string, filter: string): bigint {
  const match = RFC3339.exec(value);
  const millis = match === null ? Number.NaN : Date.parse(value.replace(/(\.\d{3})\d+/, "$1"));
  if (match === null || Number.isNaN(millis)) {
    throw invalid(`create_time takes an RFC 3339 timestamp such as 2017-01-15T01:30:15.01Z, not "${abbreviate(value)}"`, filter);
  }
  const fraction = (match[7] ?? ".").slice(1).padEnd(9, "0");
  // Whole seconds from Date, the fraction from the text, so no digit is rounded away.
  const seconds = BigInt(Math.floor(millis / 1000));
  return seconds * 1_000_000n + BigInt(fraction.slice(0, 6));
}

function invalid(rule: string, filter: string): InvalidFieldError {
  return new InvalidFieldError("filter", rule, "INVALID_FILTER", { filter: abbreviate(filter) });
}

function abbreviate(value: string): string {
  return value.length <= 80 ? value : `${value.slice(0, 77)}...`;
}
