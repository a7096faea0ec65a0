import { create } from "@bufbuild/protobuf";
import { TimestampSchema, type Timestamp } from "@bufbuild/protobuf/wkt";

// Timestamps cross the database boundary as integer microseconds since the
// epoch: exact, unlike a JS Date (milliseconds), so the value a client reads
// is the value stored.

export function timestampFromMicros(micros: number): Timestamp {
  const seconds = Math.floor(micros / 1_000_000);
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos: (micros - seconds * 1_000_000) * 1000 });
}

/** SQL turning integer microseconds since the epoch (a parameter) back into a timestamptz. */
export function sqlTimestampFromMicros(placeholder: string): string {
  return `('epoch'::timestamptz + ${placeholder}::int8 * interval '1 microsecond')`;
}

/** A duration in seconds as a Postgres interval literal, passed as a parameter. */
export function toInterval(seconds: number): string {
  return `${seconds} seconds`;
}
