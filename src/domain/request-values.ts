import { isMessage, ScalarType, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { DurationSchema, TimestampSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import { InvalidFieldError } from "./errors.js";

// Values every decoder lets through but Postgres or the proto3 JSON encoder
// refuse. The binary decoders accept any int64 seconds and int32 nanos, and
// both decoders any U+0000; Postgres text and jsonb hold neither NUL nor a
// lone surrogate, and toJson throws on a Timestamp or Duration out of range.
// Refused in every request, wherever the value sits, before anything is
// stored — a stored one would also fail every later read.

/** Why a value cannot be taken: the field path (AIP-193, proto names), the rule, and its ErrorInfo reason. */
export interface ValueViolation {
  readonly field: string;
  readonly rule: string;
  readonly reason: "INVALID_STRING" | "TIMESTAMP_OUT_OF_RANGE" | "DURATION_OUT_OF_RANGE" | "NUMBER_NOT_FINITE";
}

// google/protobuf/timestamp.proto: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;
// google/protobuf/duration.proto: about ±10 000 years.
const MAX_DURATION_SECONDS = 315_576_000_000n;
const MAX_NANOS = 999_999_999;
// With the u flag a surrogate pair is one code point: only lone surrogates match.
const LONE_SURROGATE = /\p{Cs}/u;

/** The first value in `message` (a `schema` message) that cannot be stored or encoded, if any. */
export function findValueViolation(schema: DescMessage, message: Message): ValueViolation | undefined {
  return visitMessage(reflect(schema, message), "");
}

/** Throws InvalidFieldError (INVALID_ARGUMENT naming the field) for the first such value. */
export function checkRequestValues(schema: DescMessage, message: Message): void {
  const violation = findValueViolation(schema, message);
  if (violation !== undefined) throw new InvalidFieldError(violation.field, violation.rule, violation.reason);
}

function visitMessage(message: ReflectMessage, path: string): ValueViolation | undefined {
  const own = wellKnownViolation(message, path);
  if (own !== undefined) return own;
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    const violation = visitField(message, field, join(path, field.name));
    if (violation !== undefined) return violation;
  }
  return undefined;
}

function visitField(message: ReflectMessage, field: DescField, path: string): ValueViolation | undefined {
  switch (field.fieldKind) {
    case "scalar":
      return field.scalar === ScalarType.STRING ? stringViolation(message.get(field) as string, path) : undefined;
    case "enum":
      return undefined;
    case "message":
      return visitMessage(message.get(field), path);
    case "list": {
      const list = message.get(field);
      for (let i = 0; i < list.size; i++) {
        const item = list.get(i);
        const itemPath = `${path}[${i}]`;
        const violation =
          field.listKind === "message"
            ? visitMessage(item as ReflectMessage, itemPath)
            : field.listKind === "scalar" && field.scalar === ScalarType.STRING
              ? stringViolation(item as string, itemPath)
              : undefined;
        if (violation !== undefined) return violation;
      }
      return undefined;
    }
    case "map":
      for (const [key, value] of message.get(field)) {
        const keyed = typeof key === "string" ? `${path}[${JSON.stringify(key.slice(0, 40))}]` : `${path}[${String(key)}]`;
        const violation =
          (typeof key === "string" ? stringViolation(key, path, "its keys") : undefined) ??
          (field.mapKind === "message"
            ? visitMessage(value as ReflectMessage, keyed)
            : field.mapKind === "scalar" && field.scalar === ScalarType.STRING
              ? stringViolation(value as string, keyed)
              : undefined);
        if (violation !== undefined) return violation;
      }
      return undefined;
  }
}

function stringViolation(value: string, field: string, what = "it"): ValueViolation | undefined {
  if (value.includes("\u0000")) return { field, rule: `${what} must not contain U+0000 (NUL)`, reason: "INVALID_STRING" };
  // Only reachable by a caller that skips UTF-8 encoding (the decoders refuse invalid UTF-8), yet never storable.
  if (LONE_SURROGATE.test(value)) return { field, rule: `${what} must be valid UTF-8 (a lone surrogate)`, reason: "INVALID_STRING" };
  return undefined;
}

/** The range rules google/protobuf/*.proto give the types whose JSON form is not their fields. */
function wellKnownViolation(message: ReflectMessage, path: string): ValueViolation | undefined {
  const value = message.message;
  if (isMessage(value, TimestampSchema)) {
    const { seconds, nanos } = value;
    if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS || nanos < 0 || nanos > MAX_NANOS) {
      const rule = "must be a Timestamp from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, nanos 0 to 999999999";
      return { field: path, rule, reason: "TIMESTAMP_OUT_OF_RANGE" };
    }
  } else if (isMessage(value, DurationSchema)) {
    const { seconds, nanos } = value;
    const signsDiffer = (seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0);
    if (seconds < -MAX_DURATION_SECONDS || seconds > MAX_DURATION_SECONDS || Math.abs(nanos) > MAX_NANOS || signsDiffer) {
      const rule = "must be a Duration within ±315576000000 s, nanos within ±999999999 and of the sign of seconds";
      return { field: path, rule, reason: "DURATION_OUT_OF_RANGE" };
    }
  } else if (isMessage(value, ValueSchema) && value.kind.case === "numberValue" && !Number.isFinite(value.kind.value)) {
    return { field: join(path, "number_value"), rule: "must be a finite number (JSON has no NaN or Infinity)", reason: "NUMBER_NOT_FINITE" };
  }
  return undefined;
}

function join(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}
