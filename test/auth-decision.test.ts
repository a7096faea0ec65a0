import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createAuthorizer, type Authorizer, type Decision } from "../src/auth/authorizer.js";
import { readBearerToken } from "../src/auth/bearer-token.js";
import { accessOf } from "../src/auth/method-access.js";
import { readResourceProjects } from "../src/auth/resource-projects.js";
import { parseTokenFile, sha256Hex } from "../src/auth/token-file.js";
import {
  CompleteConversationRequestSchema,
  Conversations,
  CreateConversationRequestSchema,
  GetConversationRequestSchema,
  ListConversationsRequestSchema,
} from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import {
  ConversationProfiles,
  DeleteConversationProfileRequestSchema,
  UpdateConversationProfileRequestSchema,
} from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { Health, HealthCheckRequestSchema } from "../src/gen/health/v1/health_pb.js";
import { Fulfillments } from "../src/gen/google/cloud/dialogflow/v2/fulfillment_pb.js";
import { Participants } from "../src/gen/google/cloud/dialogflow/v2/participant_pb.js";

const method = {
  create: Conversations.method.createConversation,
  get: Conversations.method.getConversation,
  list: Conversations.method.listConversations,
  complete: Conversations.method.completeConversation,
  updateProfile: ConversationProfiles.method.updateConversationProfile,
  deleteProfile: ConversationProfiles.method.deleteConversationProfile,
};

function entry(overrides: Record<string, unknown> = {}) {
  return { name: "ci", sha256: sha256Hex("secret"), projects: ["alpha"], role: "editor", ...overrides };
}

describe("tokens file", () => {
  it("maps the sha256 of each token to its name, projects and role", () => {
    const table = parseTokenFile({ tokens: [entry(), entry({ name: "all", sha256: sha256Hex("other").toUpperCase(), projects: ["*"], role: "reader" })] });
    expect(table.get(sha256Hex("secret"))).toEqual({ name: "ci", projects: new Set(["alpha"]), role: "editor" });
    expect(table.get(sha256Hex("other"))).toEqual({ name: "all", projects: "*", role: "reader" });
  });

  it.each([
    ["not an object", [], /must be a JSON object/],
    ["an unknown top-level field", { tokens: [], extra: 1 }, /^extra: unknown field/],
    ["tokens not an array", { tokens: {} }, /^tokens: must be an array/],
    ["an entry not an object", { tokens: ["x"] }, /^tokens\[0\]: must be an object/],
    ["an unknown entry field", { tokens: [entry({ token: "secret" })] }, /^tokens\[0\]\.token: unknown field/],
    ["an empty name", { tokens: [entry({ name: " " })] }, /^tokens\[0\]\.name:/],
    ["a token in clear", { tokens: [entry({ sha256: "secret" })] }, /^tokens\[0\]\.sha256: must be the 64 hex digits/],
    ["no projects", { tokens: [entry({ projects: [] })] }, /^tokens\[0\]\.projects: must be a non-empty array/],
    ["a bad project", { tokens: [entry({ projects: ["alpha", "Bad Project"] })] }, /^tokens\[0\]\.projects\[1\]: "Bad Project" is not a project ID/],
    ["a project with a slash", { tokens: [entry({ projects: ["a/locations/b"] })] }, /^tokens\[0\]\.projects\[0\]:/],
    ["an unknown role", { tokens: [entry({ role: "admin" })] }, /^tokens\[0\]\.role: must be one of reader, editor/],
    ["a name used twice", { tokens: [entry(), entry({ sha256: sha256Hex("b") })] }, /^tokens\[1\]\.name: "ci" is used twice/],
    ["a token listed twice", { tokens: [entry(), entry({ name: "b" })] }, /^tokens\[1\]\.sha256: the same token is listed twice/],
  ])("refuses %s, naming the JSON path", (_case, json, message) => {
    expect(() => parseTokenFile(json)).toThrow(message);
  });
});

describe("bearer token", () => {
  it.each([
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["BEARER   abc ", "abc"],
    ["Basic abc", undefined],
    ["Bearer", undefined],
    ["Bearer a b", undefined],
    ["", undefined],
    [null, undefined],
  ])("reads %j as %j", (header, token) => {
    expect(readBearerToken(header)).toBe(token);
  });
});

describe("resource projects, from each method's google.api.http path variables", () => {
  it.each([
    ["CreateConversation", () => readResourceProjects(method.create, create(CreateConversationRequestSchema, { parent: "projects/alpha/locations/global" })), ["alpha"]],
    ["CreateConversation (no location)", () => readResourceProjects(method.create, create(CreateConversationRequestSchema, { parent: "projects/alpha" })), ["alpha"]],
    ["ListConversations", () => readResourceProjects(method.list, create(ListConversationsRequestSchema, { parent: "projects/beta" })), ["beta"]],
    ["GetConversation", () => readResourceProjects(method.get, create(GetConversationRequestSchema, { name: "projects/p.example.com:x/conversations/c1" })), ["p.example.com:x"]],
    ["CompleteConversation", () => readResourceProjects(method.complete, create(CompleteConversationRequestSchema, { name: "projects/gamma/locations/eu/conversations/c1" })), ["gamma"]],
    ["UpdateConversationProfile (conversation_profile.name)", () => readResourceProjects(method.updateProfile, create(UpdateConversationProfileRequestSchema, { conversationProfile: { name: "projects/delta/conversationProfiles/p1" } })), ["delta"]],
    ["DeleteConversationProfile", () => readResourceProjects(method.deleteProfile, create(DeleteConversationProfileRequestSchema, { name: "projects/eps/conversationProfiles/p1" })), ["eps"]],
    ["an empty name", () => readResourceProjects(method.get, create(GetConversationRequestSchema, { name: "" })), []],
    ["a malformed name", () => readResourceProjects(method.get, create(GetConversationRequestSchema, { name: "conversations/c1" })), []],
    ["an update without the profile", () => readResourceProjects(method.updateProfile, create(UpdateConversationProfileRequestSchema, {})), []],
  ])("%s", (_case, read, projects) => {
    const found = read();
    expect(found.projects).toEqual(projects);
    expect(found.hasResourceFields).toBe(true);
  });

  it("finds a resource field on every method of the Dialogflow services served, streaming ones too", () => {
    for (const service of [Conversations, ConversationProfiles, Participants, Fulfillments]) {
      for (const each of service.methods) {
        expect({ method: each.name, scoped: readResourceProjects(each, create(each.input)).hasResourceFields }).toEqual({ method: each.name, scoped: true });
      }
    }
  });
});

describe("method access", () => {
  it("reads Get and List, writes everything else, and leaves health and reflection open", () => {
    expect(accessOf(method.get)).toBe("read");
    expect(accessOf(method.list)).toBe("read");
    expect(accessOf(ConversationProfiles.method.listConversationProfiles)).toBe("read");
    expect(accessOf(method.create)).toBe("write");
    expect(accessOf(method.complete)).toBe("write");
    expect(accessOf(method.updateProfile)).toBe("write");
    expect(accessOf(method.deleteProfile)).toBe("write");
    expect(accessOf(Health.method.check)).toBe("open");
  });
});

describe("the decision", () => {
  let authorizer: Authorizer;
  const getIn = (project: string) => create(GetConversationRequestSchema, { name: `projects/${project}/locations/global/conversations/c1` });
  const createIn = (project: string) => create(CreateConversationRequestSchema, { parent: `projects/${project}` });
  const denial = (decision: Decision) => (decision.allowed ? "allowed" : `${Code[decision.code]} ${decision.reason}`);

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "auth-"));
    const file = join(dir, "tokens.json");
    await writeFile(
      file,
      JSON.stringify({
        tokens: [
          entry({ name: "alpha-editor", sha256: sha256Hex("e"), projects: ["alpha"], role: "editor" }),
          entry({ name: "alpha-reader", sha256: sha256Hex("r"), projects: ["alpha"], role: "reader" }),
          entry({ name: "root", sha256: sha256Hex("w"), projects: ["*"], role: "editor" }),
        ],
      }),
    );
    authorizer = await createAuthorizer({ tokensFile: file });
  });

  it("is UNAUTHENTICATED without a token or with an unknown one, whatever the request", async () => {
    expect(denial(await authorizer.decide(method.get, getIn("alpha"), undefined))).toBe("Unauthenticated CREDENTIALS_MISSING");
    expect(denial(await authorizer.decide(method.get, getIn("alpha"), "Basic e"))).toBe("Unauthenticated CREDENTIALS_MISSING");
    expect(denial(await authorizer.decide(method.get, getIn("alpha"), "Bearer nope"))).toBe("Unauthenticated ACCESS_TOKEN_INVALID");
    // A malformed name is not revealed to a caller without a valid token.
    expect(denial(await authorizer.decide(method.get, create(GetConversationRequestSchema, { name: "bad" }), "Bearer nope"))).toBe("Unauthenticated ACCESS_TOKEN_INVALID");
  });

  it("is PERMISSION_DENIED outside the token's projects and for a reader writing", async () => {
    expect(denial(await authorizer.decide(method.get, getIn("beta"), "Bearer e"))).toBe("PermissionDenied PROJECT_NOT_ALLOWED");
    expect(denial(await authorizer.decide(method.create, createIn("alpha"), "Bearer r"))).toBe("PermissionDenied ROLE_CANNOT_WRITE");
    const decision = await authorizer.decide(method.get, getIn("beta"), "Bearer e");
    expect(decision.allowed ? undefined : { name: decision.principalName, metadata: decision.metadata }).toEqual({
      name: "alpha-editor",
      metadata: { method: "google.cloud.dialogflow.v2.Conversations/GetConversation", project: "beta" },
    });
  });

  it("allows readers to read, editors to write, and \"*\" everywhere", async () => {
    expect(denial(await authorizer.decide(method.get, getIn("alpha"), "Bearer r"))).toBe("allowed");
    expect(denial(await authorizer.decide(method.create, createIn("alpha"), "Bearer e"))).toBe("allowed");
    expect(denial(await authorizer.decide(method.create, createIn("zeta"), "Bearer w"))).toBe("allowed");
  });

  it("leaves a malformed name to the handler once the token is valid", async () => {
    expect(denial(await authorizer.decide(method.get, create(GetConversationRequestSchema, { name: "bad" }), "Bearer r"))).toBe("allowed");
  });

  it("needs no token for health checks", async () => {
    expect(denial(await authorizer.decide(Health.method.check, create(HealthCheckRequestSchema), undefined))).toBe("allowed");
  });

  it("allows everything when nothing is configured", async () => {
    const open = await createAuthorizer({});
    expect(open.enabled).toBe(false);
    expect(denial(await open.decide(method.create, createIn("alpha"), undefined))).toBe("allowed");
  });
});
