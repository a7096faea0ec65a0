import type { DescField, DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";

// Builds the proto3 JSON of a request from the three places REST puts its
// fields: the body, the path variables and the query string.

// Query parameters that belong to the HTTP layer, never to the request message.
const SYSTEM_PARAMETERS = new Set(["alt", "fields", "key", "prettyPrint", "access_token", "callback", "quotaUser", "upload_protocol", "uploadType"]);

export function snakeToCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** Sets `value` at a dotted field path ("conversation_profile.name"), making objects on the way. */
export function setFieldPath(root: JsonObject, path: string, value: JsonValue): void {
  const parts = path.split(".").map(snakeToCamel);
  let target = root;
  for (const part of parts.slice(0, -1)) {
    const next = target[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) target[part] = {};
    target = target[part] as JsonObject;
  }
  target[parts[parts.length - 1] ?? ""] = value;
}

/**
 * Adds query parameters to the request JSON. A parameter naming no field is
 * ignored, like an unknown JSON field; `$`-prefixed and system parameters are
 * the transport's. FieldMask values are turned into their JSON form.
 */
export function addQueryParameters(root: JsonObject, input: DescMessage, query: URLSearchParams): void {
  for (const key of new Set(query.keys())) {
    if (key.startsWith("$") || SYSTEM_PARAMETERS.has(key)) continue;
    const field = resolveField(input, key);
    if (field === undefined) continue;
    const values = query.getAll(key);
    if (field.fieldKind === "message" && field.message.typeName === "google.protobuf.FieldMask") {
      const paths = values.flatMap((value) => value.split(",")).filter((path) => path !== "");
      setFieldPath(root, key, paths.map((path) => path.split(".").map(snakeToCamel).join(".")).join(","));
    } else if (field.fieldKind === "list") {
      setFieldPath(root, key, values);
    } else {
      setFieldPath(root, key, values[values.length - 1] ?? "");
    }
  }
}

/** Finds the field a dotted path names, by proto name or JSON name, through nested messages. */
function resolveField(message: DescMessage, path: string): DescField | undefined {
  let current: DescMessage | undefined = message;
  let field: DescField | undefined;
  for (const part of path.split(".")) {
    if (current === undefined) return undefined;
    field = current.fields.find((candidate) => candidate.name === part || candidate.jsonName === part);
    if (field === undefined) return undefined;
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  return field;
}

/** The JSON object of a request body; an empty body is an empty object. */
export function parseBody(text: string): JsonValue {
  return text.trim() === "" ? {} : (JSON.parse(text) as JsonValue);
}
