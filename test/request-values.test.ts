import { create, toJson, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { DurationSchema, StructSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { InvalidFieldError } from "../src/domain/errors.js";
import { checkRequestValues, findValueViolation } from "../src/domain/request-values.js";
import {
  Conversation_ContextReference_ContextContent_ContentFormat as ContentFormat,
  Conversation_ContextReference_UpdateMode as UpdateMode,
  IngestContextReferencesRequestSchema,
} from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import {
  CreateConversationProfileRequestSchema,
  UpdateConversationProfileRequestSchema,
} from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";

const violationOf = <Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>) => findValueViolation(schema, create(schema, init));
const fieldOf = <Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>) => violationOf(schema, init)?.field;

const profileRequest = (init: MessageInitShape<typeof CreateConversationProfileRequestSchema>["conversationProfile"]) =>
  create(CreateConversationProfileRequestSchema, { parent: "projects/p/locations/global", conversationProfile: init });

const ingest = (contents: string[], key = "ctx") =>
  create(IngestContextReferencesRequestSchema, {
    conversation: "projects/p/conversations/c",
    contextReferences: {
      [key]: {
        updateMode: UpdateMode.APPEND,
        contextContents: contents.map((content) => ({ content, contentFormat: ContentFormat.PLAIN_TEXT })),
      },
    },
  });

describe("strings", () => {
  it("accepts a request whose strings are text, emoji (surrogate pairs) included", () => {
    const request = profileRequest({ displayName: "Support 😀 — ünïcode", languageCode: "en-US" });
    expect(findValueViolation(CreateConversationProfileRequestSchema, request)).toBeUndefined();
  });

  it("names a top-level string holding U+0000, with the rule and reason", () => {
    expect(findValueViolation(CreateConversationProfileRequestSchema, create(CreateConversationProfileRequestSchema, { parent: "projects/p\u0000" }))).toEqual({
      field: "parent",
      rule: "it must not contain U+0000 (NUL)",
      reason: "INVALID_STRING",
    });
  });

  it("names a nested string by its snake_case path", () => {
    const request = profileRequest({ displayName: "a\u0000b" });
    expect(findValueViolation(CreateConversationProfileRequestSchema, request)?.field).toBe("conversation_profile.display_name");
  });

  it("names an element of a repeated message inside a map value, keyed as the other checks key it", () => {
    expect(findValueViolation(IngestContextReferencesRequestSchema, ingest(["fine", "bad\u0000"]))?.field).toBe(
      'context_references["ctx"].context_contents[1].content',
    );
  });

  it("refuses a map key holding U+0000, naming the map", () => {
    expect(findValueViolation(IngestContextReferencesRequestSchema, ingest(["fine"], "k\u0000"))).toEqual({
      field: "context_references",
      rule: "its keys must not contain U+0000 (NUL)",
      reason: "INVALID_STRING",
    });
  });

  it("names an element of a repeated string", () => {
    expect(fieldOf(UpdateConversationProfileRequestSchema, { updateMask: { paths: ["display_name", "x\u0000"] } })).toBe("update_mask.paths[1]");
  });

  it("looks into oneofs", () => {
    const field = fieldOf(CreateConversationProfileRequestSchema, {
      conversationProfile: { humanAgentHandoffConfig: { agentService: { case: "salesforceLiveAgentConfig", value: { organizationId: "\u0000" } } } },
    });
    expect(field).toBe("conversation_profile.human_agent_handoff_config.salesforce_live_agent_config.organization_id");
  });

  it("looks into google.protobuf.Struct and Value contents, keys and string values", () => {
    const struct = (value: MessageInitShape<typeof StructSchema>) => create(StructSchema, { fields: { outer: { kind: { case: "structValue", value } } } });
    const inner = { fields: { list: { kind: { case: "listValue" as const, value: { values: [{ kind: { case: "stringValue" as const, value: "a\u0000" } }] } } } } };
    expect(findValueViolation(StructSchema, struct(inner))?.field).toBe('fields["outer"].struct_value.fields["list"].list_value.values[0].string_value');
    expect(findValueViolation(StructSchema, struct({ fields: { "k\u0000": {} } }))?.field).toBe('fields["outer"].struct_value.fields');
  });

  it.each([
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "a\udc00b"],
    ["a pair in the wrong order", "\udc00\ud800"],
    ["a high surrogate at the end", "ab\ud83d"],
  ])("refuses %s, which neither UTF-8 nor Postgres can hold", (_, value) => {
    expect(violationOf(CreateConversationProfileRequestSchema, { conversationProfile: { displayName: value } })).toEqual({
      field: "conversation_profile.display_name",
      rule: "it must be valid UTF-8 (a lone surrogate)",
      reason: "INVALID_STRING",
    });
  });

  it("truncates a long map key in the path", () => {
    const request = ingest(["\u0000"], "k".repeat(50));
    expect(findValueViolation(IngestContextReferencesRequestSchema, request)?.field).toBe(
      `context_references["${"k".repeat(40)}"].context_contents[0].content`,
    );
  });
});

describe("google.protobuf.Timestamp", () => {
  const MIN = -62_135_596_800n;
  const MAX = 253_402_300_799n;
  const at = (seconds: bigint, nanos: number) => violationOf(IngestContextReferencesRequestSchema, {
    contextReferences: { ctx: { contextContents: [{ content: "x", ingestionTime: { seconds, nanos } }] } },
  });

  it.each([
    [MIN, 0],
    [0n, 0],
    [MAX, 999_999_999],
    [1_790_000_000n, 123_456_000],
  ])("accepts %s s %s ns", (seconds, nanos) => {
    expect(at(seconds, nanos)).toBeUndefined();
  });

  it.each([
    [MIN - 1n, 999_999_999],
    [MAX + 1n, 0],
    [1_000_000_000_000_000n, 0],
    [-1_000_000_000_000_000n, 0],
    [0n, -5],
    [0n, 1_000_000_000],
    [0n, -2_147_483_648],
  ])("refuses %s s %s ns, naming the field", (seconds, nanos) => {
    expect(at(seconds, nanos)).toEqual({
      field: 'context_references["ctx"].context_contents[0].ingestion_time',
      rule: "must be a Timestamp from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, nanos 0 to 999999999",
      reason: "TIMESTAMP_OUT_OF_RANGE",
    });
  });
});

describe("google.protobuf.Duration", () => {
  const MAX = 315_576_000_000n;
  const ttl = (seconds: bigint, nanos: number) =>
    violationOf(CreateConversationProfileRequestSchema, { conversationProfile: { automatedAgentConfig: { sessionTtl: { seconds, nanos } } } });

  it.each([
    [0n, 0],
    [MAX, 999_999_999],
    [-MAX, -999_999_999],
    [0n, -999_999_999],
    [0n, 999_999_999],
    [60n, 0],
  ])("accepts %s s %s ns", (seconds, nanos) => {
    expect(ttl(seconds, nanos)).toBeUndefined();
  });

  it.each([
    [MAX + 1n, 0],
    [-MAX - 1n, 0],
    [1_000_000_000_000_000n, 0],
    [0n, 1_000_000_000],
    [0n, -1_000_000_000],
    [1n, -1],
    [-1n, 1],
  ])("refuses %s s %s ns, naming the field", (seconds, nanos) => {
    expect(ttl(seconds, nanos)).toEqual({
      field: "conversation_profile.automated_agent_config.session_ttl",
      rule: "must be a Duration within ±315576000000 s, nanos within ±999999999 and of the sign of seconds",
      reason: "DURATION_OUT_OF_RANGE",
    });
  });
});

describe("the rules match what the proto3 JSON encoder can write", () => {
  const seconds = [-315_576_000_001n, -315_576_000_000n, -62_135_596_801n, -62_135_596_800n, -1n, 0n, 1n, 253_402_300_799n, 253_402_300_800n, 315_576_000_000n, 315_576_000_001n];
  const nanos = [-1_000_000_000, -999_999_999, -1, 0, 1, 999_999_999, 1_000_000_000];
  const encodes = (encode: () => unknown) => {
    try {
      encode();
      return true;
    } catch {
      return false;
    }
  };

  it("accepts exactly the Timestamps and Durations toJson encodes", () => {
    for (const s of seconds) {
      for (const n of nanos) {
        const timestamp = create(TimestampSchema, { seconds: s, nanos: n });
        const duration = create(DurationSchema, { seconds: s, nanos: n });
        expect([s, n, findValueViolation(TimestampSchema, timestamp) === undefined]).toEqual([s, n, encodes(() => toJson(TimestampSchema, timestamp))]);
        expect([s, n, findValueViolation(DurationSchema, duration) === undefined]).toEqual([s, n, encodes(() => toJson(DurationSchema, duration))]);
      }
    }
  });

  it.each([NaN, Infinity, -Infinity])("refuses the google.protobuf.Value number %s, which toJson cannot write", (number) => {
    const struct = create(StructSchema, { fields: { n: { kind: { case: "numberValue", value: number } } } });
    expect(() => toJson(StructSchema, struct)).toThrow();
    expect(findValueViolation(StructSchema, struct)).toEqual({
      field: 'fields["n"].number_value',
      rule: "must be a finite number (JSON has no NaN or Infinity)",
      reason: "NUMBER_NOT_FINITE",
    });
  });

  it("accepts a finite google.protobuf.Value number", () => {
    expect(findValueViolation(StructSchema, create(StructSchema, { fields: { n: { kind: { case: "numberValue", value: 1.5e300 } } } }))).toBeUndefined();
  });
});

describe("checkRequestValues", () => {
  it("reports the first violation in field order", () => {
    const request = create(CreateConversationProfileRequestSchema, {
      parent: "p\u0000",
      conversationProfile: { displayName: "\u0000", automatedAgentConfig: { sessionTtl: { seconds: -1n, nanos: 1 } } },
    });
    expect(findValueViolation(CreateConversationProfileRequestSchema, request)?.field).toBe("parent");
  });

  it("throws an InvalidFieldError carrying the field, the rule and the reason", () => {
    let thrown: unknown;
    try {
      checkRequestValues(CreateConversationProfileRequestSchema, profileRequest({ displayName: "\u0000" }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidFieldError);
    expect(thrown).toMatchObject({ field: "conversation_profile.display_name", rule: "it must not contain U+0000 (NUL)", reason: "INVALID_STRING" });
  });

  it("passes a request with nothing set", () => {
    expect(() => checkRequestValues(UpdateConversationProfileRequestSchema, create(UpdateConversationProfileRequestSchema))).not.toThrow();
  });
});
