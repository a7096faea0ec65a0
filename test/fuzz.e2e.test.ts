import { connect as connectHttp2, type ClientHttp2Session } from "node:http2";
import { create, toBinary, toJsonString, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateConversationRequestSchema,
  GetConversationRequestSchema,
  ListConversationsRequestSchema,
} from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { CreateConversationProfileRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { createHumanProfile } from "./support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// Thousands of mutated requests over gRPC, Connect and REST (deterministic:
// FUZZ_SEED picks another sequence). Whatever arrives, the server answers
// with a status that is not INTERNAL or UNKNOWN, never crashes, and serves a
// normal call after every batch.

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const BATCHES = 4;
const PER_BATCH = 200;
const SERVICE = "google.cloud.dialogflow.v2.Conversations";
const PROFILES = "google.cloud.dialogflow.v2.ConversationProfiles";

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = ["\u0000", "\uffff", "\ud800", "%", "%00", "\\", '"', "{", "}", "[", "]", "/", "..", "null", "-1", "1e999", "\n", "é", "😀", "projects/", "locations/"];

function mutateBytes(bytes: Uint8Array, next: () => number): Uint8Array {
  const out = [...bytes];
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (out.length + 1));
    switch (Math.floor(next() * 4)) {
      case 0:
        if (out.length > 0) out[at % out.length] = Math.floor(next() * 256);
        break;
      case 1:
        out.splice(at, 0, Math.floor(next() * 256));
        break;
      case 2:
        out.splice(at, 1 + Math.floor(next() * 8));
        break;
      default:
        out.length = Math.min(out.length, at);
    }
  }
  return Uint8Array.from(out);
}

function mutateText(text: string, next: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(next() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (out.length + 1));
    switch (Math.floor(next() * 4)) {
      case 0:
        out = out.slice(0, at) + (NASTY[Math.floor(next() * NASTY.length)] ?? "") + out.slice(at);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 6));
        break;
      case 2: {
        // Swap a JSON value for one of another type.
        const values = ['""', "0", "true", "null", "[]", "{}", '"x"', "-5", "1.5", '"IN_PROGRESS"', "99999999999999999999"];
        out = out.replace(/:\s*("[^"]*"|-?\d+(\.\d+)?|true|false|null)/, `:${values[Math.floor(next() * values.length)] ?? "0"}`);
        break;
      }
      default:
        out = out.slice(0, at);
    }
  }
  return out;
}

function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

interface Seed<D extends DescMessage = DescMessage> {
  readonly service: string;
  readonly method: string;
  readonly schema: D;
  readonly message: MessageInitShape<D>;
  readonly rest: { readonly method: "GET" | "POST"; readonly path: string; readonly body: boolean };
}

describe("fuzzing every protocol", () => {
  let test: TestServer;
  let clients: Clients;
  let session: ClientHttp2Session;
  let seeds: Seed[];

  beforeAll(async () => {
    test = await startTestServer();
    clients = createClients("grpc", test.baseUrl);
    session = connectHttp2(test.baseUrl);
    const profile = await createHumanProfile(clients, "projects/fuzz");
    seeds = [
      {
        service: SERVICE,
        method: "CreateConversation",
        schema: CreateConversationRequestSchema,
        message: { parent: "projects/fuzz", conversationId: "fuzz-1", conversation: { conversationProfile: profile.name } },
        rest: { method: "POST", path: "/v2/projects/fuzz/conversations", body: true },
      },
      {
        service: SERVICE,
        method: "GetConversation",
        schema: GetConversationRequestSchema,
        message: { name: "projects/fuzz/conversations/fuzz-1" },
        rest: { method: "GET", path: "/v2/projects/fuzz/conversations/fuzz-1", body: false },
      },
      {
        service: SERVICE,
        method: "ListConversations",
        schema: ListConversationsRequestSchema,
        message: { parent: "projects/fuzz/locations/global", pageSize: 5, filter: 'lifecycle_state = "IN_PROGRESS" AND start_time > "2020-01-01T00:00:00Z"' },
        rest: { method: "GET", path: "/v2/projects/fuzz/locations/global/conversations", body: false },
      },
      {
        service: PROFILES,
        method: "CreateConversationProfile",
        schema: CreateConversationProfileRequestSchema,
        message: { parent: "projects/fuzz", conversationProfile: { displayName: "Fuzz", languageCode: "en-US", timeZone: "Europe/Paris" } },
        rest: { method: "POST", path: "/v2/projects/fuzz/conversationProfiles", body: true },
      },
    ] as Seed[];
  });
  afterAll(async () => {
    session.destroy();
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  const overGrpc = (seed: Seed, bytes: Uint8Array): Promise<string> =>
    new Promise((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": `/${seed.service}/${seed.method}`, "content-type": "application/grpc", te: "trailers" });
      let status: string | undefined;
      stream.on("response", (headers) => (status ??= headers["grpc-status"] as string | undefined));
      stream.on("trailers", (trailers) => (status ??= trailers["grpc-status"] as string | undefined));
      stream.on("close", () => resolve(status ?? "no status"));
      stream.on("error", reject);
      stream.resume();
      stream.end(frame(bytes));
    });

  const overConnect = async (seed: Seed, body: string | Uint8Array, contentType: string): Promise<string> => {
    const response = await fetch(`${test.baseUrl}/${seed.service}/${seed.method}`, { method: "POST", headers: { "content-type": contentType }, body: typeof body === "string" ? body : Buffer.from(body) });
    const text = await response.text();
    if (response.status === 200) return "ok";
    try {
      const error = JSON.parse(text) as { code?: string; message?: string };
      return error.code ?? `http ${response.status}`;
    } catch {
      return `http ${response.status}`;
    }
  };

  const overRest = async (seed: Seed, json: string, next: () => number): Promise<string> => {
    const query = seed.rest.method === "GET" ? `?${mutateText("pageSize=5&filter=lifecycle_state%20%3D%20IN_PROGRESS", next)}` : "";
    // The path after /v2/ is mutated, so the request still reaches the REST routes.
    const path = next() < 0.3 ? `/v2/${mutateText(seed.rest.path.slice(4), next)}` : seed.rest.path;
    const response = await fetch(`${test.baseUrl}${path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c.length === 1 && c >= "\ud800" && c <= "\udfff" ? "\ufffd" : c))}${query}`, {
      method: seed.rest.method,
      headers: { "content-type": "application/json" },
      body: seed.rest.body ? json : undefined,
    }).catch((error: unknown) => error as Error);
    if (response instanceof Error) return `refused: ${response.message} ${String((response as { cause?: unknown }).cause)} ${path}`;
    await response.arrayBuffer();
    return `http ${response.status}`;
  };

  it(`answers ${BATCHES * PER_BATCH * 4} mutated requests without INTERNAL, and a normal call after each batch`, async () => {
    const next = random(SEED);
    const outcomes = new Map<string, number>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    for (let batch = 0; batch < BATCHES; batch++) {
      for (let i = 0; i < PER_BATCH; i++) {
        const seed = seeds[Math.floor(next() * seeds.length)] as Seed;
        const message = create(seed.schema, seed.message);
        const binary = mutateBytes(toBinary(seed.schema, message), next);
        const json = mutateText(toJsonString(seed.schema, message), next);

        const viaGrpc = await overGrpc(seed, binary);
        expect(["13", "2", "no status"], `gRPC ${seed.method} ${Buffer.from(binary).toString("hex")}`).not.toContain(viaGrpc);
        count(`grpc ${viaGrpc}`);

        const viaConnectProto = await overConnect(seed, mutateBytes(toBinary(seed.schema, message), next), "application/proto");
        expect(["internal", "unknown", "http 500"], `Connect proto ${seed.method}`).not.toContain(viaConnectProto);
        count(`connect+proto ${viaConnectProto}`);

        const viaConnectJson = await overConnect(seed, json, "application/json");
        expect(["internal", "unknown", "http 500"], `Connect JSON ${seed.method} ${json}`).not.toContain(viaConnectJson);
        count(`connect+json ${viaConnectJson}`);

        const viaRest = await overRest(seed, json, next);
        expect(viaRest, `REST ${seed.method} ${json}`).not.toMatch(/^(http 500|refused)/);
        count(`rest ${viaRest}`);
      }
      // The server still does its job.
      const list = await clients.conversations.listConversations({ parent: "projects/fuzz" });
      expect(list.conversations.length).toBeGreaterThanOrEqual(0);
    }
    // Mutations must reach past the decoder, not only be refused by it.
    expect([...outcomes.keys()].some((key) => key.startsWith("grpc 0") || key.startsWith("grpc 5"))).toBe(true);
    expect([...outcomes.keys()].some((key) => key.startsWith("grpc 3"))).toBe(true);
  }, 240_000);
});
