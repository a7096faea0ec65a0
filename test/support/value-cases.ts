import { clone, create, ScalarType, type DescField, type DescMessage, type DescMethodUnary, type Message } from "@bufbuild/protobuf";
import { DurationSchema, StructSchema, TimestampSchema, ValueSchema } from "@bufbuild/protobuf/wkt";

// Requests with one bad value each, generated from the request descriptors:
// every string field (map keys too) and every Timestamp and Duration field a
// request can reach, so a field added to the proto is covered without a test
// change. Each case says the field path a refusal must name.

export type ValueKind = "string" | "key" | "timestamp" | "duration";

export interface ValueCase {
  readonly method: DescMethodUnary;
  readonly kind: ValueKind;
  /** The AIP-193 path the refusal names (proto field names). */
  readonly field: string;
  /** The base request with the bad value placed (for times: `value`). */
  readonly request: Message;
}

/** Where a value can go: the fields leading to it, the last one holding it. */
interface Target {
  readonly steps: readonly DescField[];
  readonly kind: ValueKind;
  /** The last field is a google.protobuf.Struct outside a Value, which the message holds as a JsonObject. */
  readonly struct?: true;
}

function* targets(schema: DescMessage, stack: readonly string[] = [schema.typeName]): Generator<Target> {
  for (const field of schema.fields) {
    if (field.fieldKind === "map" && field.mapKey === ScalarType.STRING) yield { steps: [field], kind: "key" };
    const scalar = field.fieldKind === "scalar" || field.fieldKind === "list" || field.fieldKind === "map" ? field.scalar : undefined;
    if (scalar === ScalarType.STRING) yield { steps: [field], kind: "string" };
    const message = field.fieldKind === "enum" || field.fieldKind === "scalar" ? undefined : field.message;
    if (message === undefined) continue;
    if (message.typeName === TimestampSchema.typeName) yield { steps: [field], kind: "timestamp" };
    else if (message.typeName === StructSchema.typeName && schema.typeName !== ValueSchema.typeName) {
      // A Struct field holds a JsonObject (Struct only inside Value): its keys and string values.
      yield { steps: [field], kind: "key", struct: true };
      yield { steps: [field], kind: "string", struct: true };
    }
    else if (message.typeName === DurationSchema.typeName) yield { steps: [field], kind: "duration" };
    // A type already on the way down (Struct in Value in Struct) adds no new field.
    else if (!stack.includes(message.typeName)) {
      for (const inner of targets(message, [...stack, message.typeName])) yield { ...inner, steps: [field, ...inner.steps] };
    }
  }
}

type Fields = Record<string, unknown>;

/** An empty message, but for google.protobuf.Value, which JSON cannot write without a kind. */
const validMessage = (schema: DescMessage): Message =>
  schema.typeName === ValueSchema.typeName ? create(ValueSchema, { kind: { case: "nullValue", value: 0 } }) : create(schema);

/** The message field `field` of `message`, created (and its oneof switched to it) when absent. */
function childOf(message: Fields, field: DescField & { message: DescMessage }): Fields {
  if (field.oneof !== undefined) {
    const oneof = message[field.oneof.localName] as { case: string | undefined; value?: unknown };
    if (oneof.case !== field.localName) message[field.oneof.localName] = { case: field.localName, value: create(field.message) };
    return (message[field.oneof.localName] as { value: Fields }).value;
  }
  message[field.localName] ??= create(field.message);
  return message[field.localName] as Fields;
}

function setScalar(message: Fields, field: DescField, value: unknown): void {
  if (field.oneof !== undefined) message[field.oneof.localName] = { case: field.localName, value };
  else message[field.localName] = value;
}

/**
 * A copy of `base` with `bad` at the target; the path it names. `bad` turns
 * what is there (a string, "" when unset) into the bad value, or is the bad
 * Timestamp/Duration message.
 */
function place(schema: DescMessage, base: Message, target: Target, bad: (current: unknown) => unknown): { request: Message; field: string } {
  const request = clone(schema, base);
  let message = request as unknown as Fields;
  let path = "";
  target.steps.forEach((field, index) => {
    const last = index === target.steps.length - 1;
    path = path === "" ? field.name : `${path}.${field.name}`;
    switch (field.fieldKind) {
      case "scalar":
        setScalar(message, field, bad(message[field.localName] ?? ""));
        return;
      case "message":
        if (last && target.struct === true) {
          const json = target.kind === "key" ? { [bad("k") as string]: "" } : { k: bad("") };
          path += target.kind === "key" ? ".fields" : '.fields["k"].string_value';
          setScalar(message, field, json);
        } else if (last) setScalar(message, field, bad(undefined));
        else message = childOf(message, field);
        return;
      case "list": {
        const list = message[field.localName] as unknown[];
        path += "[0]";
        if (last) list[0] = bad(list[0] ?? "");
        else message = (list[0] ??= create(field.message!)) as Fields;
        return;
      }
      case "map": {
        const map = message[field.localName] as Fields;
        if (last && target.kind === "key") {
          map[bad("k") as string] = field.mapKind === "scalar" ? "" : field.mapKind === "enum" ? 0 : validMessage(field.message);
          return;
        }
        const key = Object.keys(map)[0] ?? "k";
        path += `[${JSON.stringify(key)}]`;
        if (last) map[key] = bad(map[key] ?? "");
        else message = (map[key] ??= create(field.message!)) as Fields;
        return;
      }
      case "enum":
        throw new Error(`${field.name} holds no value to place`);
    }
  });
  return { request, field: path };
}

/** A string with U+0000, kept after what was there, so a name still fits its REST path template. */
export const withNul = (current: unknown): string => `${String(current)}\u0000`;

/** Every string target of the method's request, each holding `withNul`. */
export function stringCases(method: DescMethodUnary, base: Message): ValueCase[] {
  return [...targets(method.input)]
    .filter((target) => target.kind === "string" || target.kind === "key")
    .map((target) => ({ method, kind: target.kind, ...place(method.input, base, target, withNul) }));
}

/** Every Timestamp and Duration target of the method's request, once with each of `values`. */
export function timeCases(
  method: DescMethodUnary,
  base: Message,
  values: { readonly timestamp: readonly Message[]; readonly duration: readonly Message[] },
): ValueCase[] {
  return [...targets(method.input)].flatMap((target) =>
    target.kind === "timestamp" || target.kind === "duration"
      ? values[target.kind].map((value) => ({ method, kind: target.kind, ...place(method.input, base, target, () => value) }))
      : [],
  );
}
