import { getOption, hasOption, type DescField, type DescMessage, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { FieldBehavior, field_behavior } from "../gen/google/api/field_behavior_pb.js";

// What Google's protos say about each field (google.api.field_behavior), read
// from the descriptors so a field added upstream is handled with no code change.

export function isOutputOnly(field: DescField): boolean {
  return hasOption(field, field_behavior) && getOption(field, field_behavior).includes(FieldBehavior.OUTPUT_ONLY);
}

/**
 * Drops every OUTPUT_ONLY field, at any depth, from the proto3 JSON of a
 * `desc` message: requests may carry them and AIP-203 says to ignore them.
 */
export function stripOutputOnly(desc: DescMessage, json: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    const field = desc.fields.find((each) => each.jsonName === key || each.name === key);
    if (field === undefined || isOutputOnly(field)) continue;
    result[key] = field.message === undefined ? value : stripNested(field, field.message, value);
  }
  return result;
}

function stripNested(field: DescField, message: DescMessage, value: JsonValue): JsonValue {
  // Well-known types (Timestamp, Duration, Struct...) have JSON forms of their own.
  if (message.typeName.startsWith("google.protobuf.")) return value;
  const strip = (each: JsonValue) => (isJsonObject(each) ? stripOutputOnly(message, each) : each);
  if (field.fieldKind === "list" && Array.isArray(value)) return value.map(strip);
  if (field.fieldKind === "map" && isJsonObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, each]) => [key, strip(each)]));
  }
  return strip(value);
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
