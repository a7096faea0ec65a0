import type { DescField, DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";

// Every field of a message as label/value rows, driven by the schema, so new
// fields in the API show up without changes here. Input is the message's
// proto3 JSON with implicit fields emitted (toJson(..., { alwaysEmitImplicit: true })).

export type FieldRow =
  | { readonly path: string; readonly kind: "text"; readonly text: string }
  | { readonly path: string; readonly kind: "time"; readonly iso: string }
  | { readonly path: string; readonly kind: "unset" };

export function fieldRows(schema: DescMessage, json: JsonObject, prefix = ""): FieldRow[] {
  const rows: FieldRow[] = [];
  for (const field of schema.fields) {
    rows.push(...valueRows(field, json[field.jsonName], `${prefix}${field.jsonName}`));
  }
  return rows;
}

function valueRows(field: DescField, value: JsonValue | undefined, path: string): FieldRow[] {
  if (value === undefined || value === null) return [{ path, kind: "unset" }];
  switch (field.fieldKind) {
    case "message":
      return messageRows(field.message, value, path);
    case "list": {
      const items = Array.isArray(value) ? value : [];
      if (items.length === 0) return [{ path, kind: "unset" }];
      return items.flatMap((item, index) =>
        field.listKind === "message" ? messageRows(field.message, item, `${path}[${index}]`) : [leaf(`${path}[${index}]`, item)],
      );
    }
    case "map": {
      const entries = isObject(value) ? Object.entries(value) : [];
      if (entries.length === 0) return [{ path, kind: "unset" }];
      return entries.flatMap(([key, item]) =>
        field.mapKind === "message" ? messageRows(field.message, item, `${path}[${key}]`) : [leaf(`${path}[${key}]`, item)],
      );
    }
    default:
      return [leaf(path, value)];
  }
}

function messageRows(schema: DescMessage, value: JsonValue, path: string): FieldRow[] {
  if (schema.typeName === "google.protobuf.Timestamp" && typeof value === "string") return [{ path, kind: "time", iso: value }];
  // Other well-known types (Duration, Struct, FieldMask...) have their own JSON forms: shown as is.
  if (schema.typeName.startsWith("google.protobuf.") || !isObject(value)) return [leaf(path, value)];
  return fieldRows(schema, value, `${path}.`);
}

function leaf(path: string, value: JsonValue): FieldRow {
  return { path, kind: "text", text: typeof value === "string" ? value : JSON.stringify(value) };
}

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
