import { create, fromJson, toJson, type DescMethodUnary, type JsonObject, type Message } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Conversations, type Conversation } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ConversationProfiles, type ConversationProfile } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { callConnectJson, callOverGrpcJs, callOverRest, callOverTransport, restBinding, type CallOutcome } from "./support/call-outcomes.js";
import { createHumanProfile, listAll, startConversation } from "./support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";
import { stringCases, timeCases, type ValueCase } from "./support/value-cases.js";

// A string with U+0000 (which Postgres cannot store) or a Timestamp or Duration
// out of its range (which the JSON encoder cannot write) in any field of any
// request is the caller's mistake: INVALID_ARGUMENT naming the field, and
// nothing stored. The cases come from the request descriptors, one bad value
// each, through every protocol.

const PROJECT = "request-values";
const PARENT = `projects/${PROJECT}/locations/global`;
const METHODS = [...Conversations.methods, ...ConversationProfiles.methods].filter(
  (method): method is DescMethodUnary => method.methodKind === "unary",
);
const REASONS = { string: "INVALID_STRING", key: "INVALID_STRING", timestamp: "TIMESTAMP_OUT_OF_RANGE", duration: "DURATION_OUT_OF_RANGE" };
const OUT_OF_RANGE = {
  timestamp: [create(TimestampSchema, { seconds: 10n ** 15n }), create(TimestampSchema, { seconds: 1n, nanos: -5 })],
  duration: [create(DurationSchema, { seconds: 10n ** 15n }), create(DurationSchema, { seconds: 1n, nanos: -1 })],
};

interface Baseline {
  readonly profile: ConversationProfile;
  readonly conversation: Conversation;
}

/** What each method's request holds besides its names, so that (without the check) it would reach the store. */
function contentOf(method: DescMethodUnary, baseline: Baseline): JsonObject {
  switch (method.name) {
    case "CreateConversationProfile":
      return { conversationProfile: { displayName: "Created" } };
    case "UpdateConversationProfile":
      return { conversationProfile: { displayName: "Updated" }, updateMask: "displayName" };
    case "CreateConversation":
      return { conversation: { conversationProfile: baseline.profile.name } };
    case "IngestContextReferences":
      return { contextReferences: { ctx: { updateMode: "APPEND", contextContents: [{ content: "more", contentFormat: "PLAIN_TEXT" }] } } };
    case "ListConversations":
      return { filter: 'lifecycle_state = "IN_PROGRESS"', pageSize: 5 };
    default:
      return {};
  }
}

/** A valid request: its content, and every name its REST path template holds pointing at the baseline resources. */
function baseRequest(method: DescMethodUnary, baseline: Baseline): Message {
  const ids: Record<string, string> = {
    projects: PROJECT,
    locations: "global",
    conversationProfiles: baseline.profile.name.split("/").pop()!,
    conversations: baseline.conversation.name.split("/").pop()!,
  };
  const json = contentOf(method, baseline);
  for (const [, field, pattern] of String(restBinding(method).pattern.value).matchAll(/\{([^}=]+)=([^}]*)\}/g)) {
    const segments = pattern!.split("/");
    const name = segments.map((segment, i) => (segment === "*" ? (ids[segments[i - 1]!] ?? "x") : segment)).join("/");
    const parts = field!.split(".").map((part) => part.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()));
    let target = json;
    for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as JsonObject;
    target[parts[parts.length - 1]!] = name;
  }
  return fromJson(method.input, json);
}

/** Undefined when the outcome is the refusal the case needs (REST: HTTP 400), else what came instead. */
function mismatch(valueCase: ValueCase, outcome: CallOutcome, reason: string): string | undefined {
  const { status, fields, httpStatus = 400 } = outcome;
  if (status === "INVALID_ARGUMENT" && fields.join() === valueCase.field && outcome.reason === reason && httpStatus === 400) return undefined;
  return `${valueCase.method.name} ${valueCase.field}: ${httpStatus} ${status} [${fields.join()}] ${outcome.reason} ${outcome.message}`;
}

/** Runs every case, a few at a time, and lists those not refused as expected. */
async function refusals(cases: readonly ValueCase[], call: (valueCase: ValueCase) => Promise<string | undefined>): Promise<string[]> {
  const wrong: string[] = [];
  for (let i = 0; i < cases.length; i += 16) {
    const answers = await Promise.all(cases.slice(i, i + 16).map(call));
    for (const answer of answers) if (answer !== undefined) wrong.push(answer);
  }
  return wrong;
}

describe("values Postgres or the JSON encoder cannot take, in every field of every request", () => {
  let test: TestServer;
  let clients: Clients;
  let grpcJs: grpc.Client;
  let transports: Record<"connectBinary" | "grpcWeb" | "connectJson", Transport>;
  let baseline: Baseline;
  let strings: ValueCase[];
  let times: ValueCase[];

  beforeAll(async () => {
    test = await startTestServer();
    clients = createClients("connect (http/1.1)", test.baseUrl);
    grpcJs = new grpc.Client(`127.0.0.1:${test.server.port}`, grpc.credentials.createInsecure());
    const baseUrl = test.baseUrl;
    transports = {
      connectBinary: createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
      grpcWeb: createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
      connectJson: createConnectTransport({ baseUrl, httpVersion: "1.1" }),
    };
    const profile = await createHumanProfile(clients, PARENT);
    const { name } = await startConversation(clients, PARENT, profile);
    await clients.conversations.ingestContextReferences({
      conversation: name,
      contextReferences: { ctx: { updateMode: 1, contextContents: [{ content: "first", contentFormat: 2 }] } },
    });
    baseline = { profile, conversation: await clients.conversations.getConversation({ name }) };
    strings = METHODS.flatMap((method) => stringCases(method, baseRequest(method, baseline)));
    times = METHODS.flatMap((method) => timeCases(method, baseRequest(method, baseline), OUT_OF_RANGE));
  });
  afterAll(async () => {
    grpcJs?.close();
    // Bad values are the caller's mistake, never reported as the service's bugs.
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  const expectNothingStored = async () => {
    const { conversationProfiles } = await clients.profiles.listConversationProfiles({ parent: PARENT });
    expect(conversationProfiles).toEqual([baseline.profile]);
    expect(await listAll(clients, PARENT)).toEqual([baseline.conversation]);
  };

  it("generates a case for every string and time field, the stored ones included", () => {
    const fields = new Set([...strings, ...times].map((valueCase) => `${valueCase.method.name} ${valueCase.field}`));
    for (const field of [
      "CreateConversationProfile conversation_profile.display_name",
      "CreateConversationProfile conversation_profile.automated_agent_config.session_ttl",
      "UpdateConversationProfile conversation_profile.display_name",
      "UpdateConversationProfile update_mask.paths[0]",
      "CreateConversation conversation.conversation_profile",
      'IngestContextReferences context_references["ctx"].context_contents[0].content',
      'IngestContextReferences context_references["ctx"].context_contents[0].ingestion_time',
      "IngestContextReferences context_references",
      "ListConversations filter",
      "ListConversations page_token",
      "GetConversation name",
    ]) {
      expect(fields).toContain(field);
    }
    expect(strings.length).toBeGreaterThan(250);
    expect(times.length).toBeGreaterThan(50);
  });

  /** A real client of each protocol. JSON spells a time as text, so out-of-range times go by the binary ones. */
  const protocols: Record<string, { binary: boolean; call: (valueCase: ValueCase) => Promise<CallOutcome> }> = {
    "gRPC (grpc-js)": { binary: true, call: ({ method, request }) => callOverGrpcJs(grpcJs, method, request) },
    "Connect (binary, HTTP/2)": { binary: true, call: ({ method, request }) => callOverTransport(transports.connectBinary, method, request) },
    "gRPC-Web": { binary: true, call: ({ method, request }) => callOverTransport(transports.grpcWeb, method, request) },
    "Connect (JSON)": { binary: false, call: ({ method, request }) => callOverTransport(transports.connectJson, method, request) },
    REST: { binary: false, call: ({ method, request }) => callOverRest(test.baseUrl, method, toJson(method.input, request) as JsonObject) },
  };

  it.each(Object.keys(protocols))("refuses each over %s with INVALID_ARGUMENT naming the field, and stores nothing", async (name) => {
    const { binary, call } = protocols[name]!;
    const wrong = await refusals(binary ? [...strings, ...times] : strings, async (valueCase) =>
      mismatch(valueCase, await call(valueCase), REASONS[valueCase.kind]),
    );
    expect(wrong).toEqual([]);
    await expectNothingStored();
  });

  it("refuses each time out of range over Connect JSON and REST, where their decoders check it", async () => {
    // A valid stand-in is written, then its JSON spelling replaced by one out of range.
    const standIn = {
      timestamp: [create(TimestampSchema, { seconds: 981_173_106n, nanos: 789_000_000 })],
      duration: [create(DurationSchema, { seconds: 1234n })],
    };
    const spelled = {
      timestamp: ['"2001-02-03T04:05:06.789Z"', '"10000-01-01T00:00:00Z"'],
      duration: ['"1234s"', '"315576000001s"'],
    } as const;
    const jsonOf = (valueCase: ValueCase) => {
      const [written, outOfRange] = spelled[valueCase.kind as "timestamp" | "duration"];
      return JSON.stringify(toJson(valueCase.method.input, valueCase.request)).replace(written, outOfRange);
    };
    // The decoders name the type, not the field path.
    const names = (valueCase: ValueCase, outcome: CallOutcome) => {
      const type = valueCase.kind === "timestamp" ? "google.protobuf.Timestamp" : "google.protobuf.Duration";
      return outcome.status === "INVALID_ARGUMENT" && (outcome.httpStatus ?? 400) === 400 && outcome.message.includes(type)
        ? undefined
        : `${valueCase.method.name} ${valueCase.field}: ${outcome.status} ${outcome.message}`;
    };
    const cases = METHODS.flatMap((method) => timeCases(method, baseRequest(method, baseline), standIn));
    const overConnect = (valueCase: ValueCase) => callConnectJson(test.baseUrl, valueCase.method, jsonOf(valueCase));
    const overRest = (valueCase: ValueCase) => callOverRest(test.baseUrl, valueCase.method, JSON.parse(jsonOf(valueCase)) as JsonObject);
    expect(await refusals(cases, async (valueCase) => names(valueCase, await overConnect(valueCase)))).toEqual([]);
    expect(await refusals(cases, async (valueCase) => names(valueCase, await overRest(valueCase)))).toEqual([]);
    await expectNothingStored();
  });
});
