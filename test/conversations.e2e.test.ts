import { Code } from "@connectrpc/connect";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationProfile } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import {
  Conversation_ConversationStage as Stage,
  Conversation_LifecycleState as State,
} from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { expectInvalidArgument, expectResourceError } from "./support/errors.js";
import { createAgentProfile, createHumanProfile, listAll, startConversation } from "./support/fixtures.js";
import { PROTOCOLS, createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// The behaviour contract of Create / Get / Complete (DESIGN §4.1-4.3, §4.5),
// checked over every protocol the one port serves.
describe.each(PROTOCOLS)("Conversations over %s", (protocol) => {
  const parent = "projects/acme-1/locations/global";
  const shortParent = "projects/acme-1";
  let test: TestServer;
  let clients: Clients;
  let agentProfile: ConversationProfile;
  let humanProfile: ConversationProfile;

  beforeAll(async () => {
    test = await startTestServer();
    clients = createClients(protocol, test.baseUrl);
    agentProfile = await createAgentProfile(clients, parent);
    humanProfile = await createHumanProfile(clients, parent);
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  describe("CreateConversation", () => {
    it("starts a conversation IN_PROGRESS with a generated, URL-safe ID and the server's start time", async () => {
      const before = Date.now();
      const conversation = await startConversation(clients, parent, agentProfile);
      expect(conversation.name).toMatch(/^projects\/acme-1\/locations\/global\/conversations\/[a-zA-Z][a-zA-Z0-9_-]{21,}$/);
      expect(conversation.lifecycleState).toBe(State.IN_PROGRESS);
      expect(conversation.conversationProfile).toBe(agentProfile.name);
      expect(conversation.endTime).toBeUndefined();
      expect(conversation.phoneNumber).toBeUndefined();
      const started = timestampDate(conversation.startTime!).getTime();
      expect(started).toBeGreaterThanOrEqual(before - 1000);
      expect(started).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it("generates a different ID every time", async () => {
      const names = await Promise.all([1, 2, 3, 4, 5].map(() => startConversation(clients, parent, humanProfile)));
      expect(new Set(names.map((c) => c.name)).size).toBe(5);
    });

    it("keeps the project-level name form of the parent it was created under", async () => {
      const profile = await createHumanProfile(clients, shortParent);
      const conversation = await startConversation(clients, shortParent, profile, "short-form");
      expect(conversation.name).toBe("projects/acme-1/conversations/short-form");
      const read = await clients.conversations.getConversation({ name: conversation.name });
      expect(read).toEqual(conversation);
    });

    it("uses a client-chosen conversation_id", async () => {
      const conversation = await startConversation(clients, parent, humanProfile, "Chosen_id-1");
      expect(conversation.name).toBe(`${parent}/conversations/Chosen_id-1`);
    });

    it("returns ALREADY_EXISTS with ResourceInfo when the conversation_id is taken, and changes nothing", async () => {
      const first = await startConversation(clients, parent, humanProfile, "taken-id");
      await expectResourceError(startConversation(clients, parent, agentProfile, "taken-id"), Code.AlreadyExists, first.name);
      expect(await clients.conversations.getConversation({ name: first.name })).toEqual(first);
    });

    it("allows the same conversation_id under another parent", async () => {
      await startConversation(clients, parent, humanProfile, "same-id");
      const profile = await createHumanProfile(clients, "projects/acme-1/locations/europe-west1");
      const other = await startConversation(clients, "projects/acme-1/locations/europe-west1", profile, "same-id");
      expect(other.name).toBe("projects/acme-1/locations/europe-west1/conversations/same-id");
    });

    it.each(["ab", "1abc", "_abc", "-abc", "has space", "a/bc", "a.bc", "ünïcode", "x".repeat(65), "a;DROP TABLE conversations"])(
      "rejects conversation_id %j",
      async (conversationId) => {
        await expectInvalidArgument(startConversation(clients, parent, humanProfile, conversationId), "conversation_id", /3 to 64/);
      },
    );

    it("accepts conversation_id of exactly 3 and 64 characters", async () => {
      await startConversation(clients, parent, humanProfile, "abc");
      const long = await startConversation(clients, parent, humanProfile, `a${"b".repeat(63)}`);
      expect(long.name.endsWith(`a${"b".repeat(63)}`)).toBe(true);
    });

    it.each([
      "",
      "projects",
      "projects/",
      "projects/Acme",
      "projects/acme_1",
      "projects/acme-1/locations",
      "projects/acme-1/locations/",
      "projects/acme-1/locations/Global",
      "projects/acme-1/locations/a.b",
      "projects/acme-1/regions/global",
      "organizations/acme-1",
      "projects/acme-1/locations/global/extra",
      `projects/${"p".repeat(64)}`,
      "projects/acme-1'; --",
    ])("rejects parent %j", async (badParent) => {
      await expectInvalidArgument(startConversation(clients, badParent, humanProfile), "parent", /parent|project|location|required/);
    });

    it("accepts a domain-scoped project ID with '.' and ':'", async () => {
      const domainParent = "projects/example.com:acme/locations/us";
      const profile = await createHumanProfile(clients, domainParent);
      const conversation = await startConversation(clients, domainParent, profile, "domain-scoped");
      expect(conversation.name).toBe(`${domainParent}/conversations/domain-scoped`);
    });

    it("requires conversation.conversation_profile", async () => {
      await expectInvalidArgument(
        clients.conversations.createConversation({ parent, conversation: {} }),
        "conversation.conversation_profile",
        /required/,
      );
      await expectInvalidArgument(clients.conversations.createConversation({ parent }), "conversation", /required/);
    });

    it("rejects a malformed conversation_profile", async () => {
      await expectInvalidArgument(
        clients.conversations.createConversation({ parent, conversation: { conversationProfile: "profiles/x" } }),
        "conversation.conversation_profile",
        /not a valid name/,
      );
    });

    it("returns NOT_FOUND with ResourceInfo when the profile does not exist", async () => {
      const missing = `${parent}/conversationProfiles/doesNotExist`;
      const error = await expectResourceError(
        clients.conversations.createConversation({ parent, conversationId: "orphan", conversation: { conversationProfile: missing } }),
        Code.NotFound,
        missing,
      );
      expect(error.rawMessage).toContain(missing);
      await expectResourceError(clients.conversations.getConversation({ name: `${parent}/conversations/orphan` }), Code.NotFound, `${parent}/conversations/orphan`);
    });

    it("returns NOT_FOUND when the profile belongs to another project", async () => {
      const foreign = await createAgentProfile(clients, "projects/other-project/locations/global");
      await expectResourceError(startConversation(clients, parent, foreign), Code.NotFound, foreign.name);
    });

    it("starts in VIRTUAL_AGENT_STAGE when the profile has an automated agent", async () => {
      expect((await startConversation(clients, parent, agentProfile)).conversationStage).toBe(Stage.VIRTUAL_AGENT_STAGE);
    });

    it("starts in HUMAN_ASSIST_STAGE when the profile has no automated agent", async () => {
      expect((await startConversation(clients, parent, humanProfile)).conversationStage).toBe(Stage.HUMAN_ASSIST_STAGE);
    });

    it("honours a requested HUMAN_ASSIST_STAGE even when the profile has an agent", async () => {
      const conversation = await clients.conversations.createConversation({
        parent,
        conversation: { conversationProfile: agentProfile.name, conversationStage: Stage.HUMAN_ASSIST_STAGE },
      });
      expect(conversation.conversationStage).toBe(Stage.HUMAN_ASSIST_STAGE);
    });

    it("honours a requested VIRTUAL_AGENT_STAGE when the profile has an agent", async () => {
      const conversation = await clients.conversations.createConversation({
        parent,
        conversation: { conversationProfile: agentProfile.name, conversationStage: Stage.VIRTUAL_AGENT_STAGE },
      });
      expect(conversation.conversationStage).toBe(Stage.VIRTUAL_AGENT_STAGE);
    });

    it("rejects VIRTUAL_AGENT_STAGE on a profile without an agent, creating nothing", async () => {
      await expectInvalidArgument(
        clients.conversations.createConversation({
          parent,
          conversationId: "no-agent-here",
          conversation: { conversationProfile: humanProfile.name, conversationStage: Stage.VIRTUAL_AGENT_STAGE },
        }),
        "conversation.conversation_stage",
        /automated agent/,
      );
      await expectResourceError(
        clients.conversations.getConversation({ name: `${parent}/conversations/no-agent-here` }),
        Code.NotFound,
        `${parent}/conversations/no-agent-here`,
      );
    });

    it("ignores output-only fields in the request", async () => {
      const conversation = await clients.conversations.createConversation({
        parent,
        conversationId: "output-only",
        conversation: {
          name: "projects/evil/conversations/hijack",
          lifecycleState: State.COMPLETED,
          conversationProfile: humanProfile.name,
          phoneNumber: { phoneNumber: "+15550100" },
          startTime: timestampFromDate(new Date("2001-01-01T00:00:00Z")),
          endTime: timestampFromDate(new Date("2001-01-02T00:00:00Z")),
        },
      });
      expect(conversation.name).toBe(`${parent}/conversations/output-only`);
      expect(conversation.lifecycleState).toBe(State.IN_PROGRESS);
      expect(conversation.phoneNumber).toBeUndefined();
      expect(conversation.endTime).toBeUndefined();
      expect(timestampDate(conversation.startTime!).getFullYear()).toBeGreaterThan(2001);
    });
  });

  describe("GetConversation", () => {
    it("returns exactly what CreateConversation returned, start_time to the microsecond", async () => {
      const created = await startConversation(clients, parent, agentProfile);
      const read = await clients.conversations.getConversation({ name: created.name });
      expect(read).toEqual(created);
      expect(read.startTime?.nanos).toBe(created.startTime?.nanos);
    });

    it.each(["", "conversations/x", "projects/acme-1/conversations/", "projects/acme-1/conversations/ab", "projects/Acme/conversations/abc", "projects/acme-1/locations/global/conversationProfiles/abc"])(
      "rejects the malformed name %j",
      async (name) => {
        await expectInvalidArgument(clients.conversations.getConversation({ name }), "name", /name|ID|required/);
      },
    );

    it("returns NOT_FOUND with ResourceInfo for an absent conversation", async () => {
      const name = `${parent}/conversations/never-created`;
      await expectResourceError(clients.conversations.getConversation({ name }), Code.NotFound, name);
    });

    it("reads a global conversation under both name forms, answering in the form asked", async () => {
      const created = await startConversation(clients, parent, humanProfile, "form-check");
      const other = "projects/acme-1/conversations/form-check";
      const read = await clients.conversations.getConversation({ name: other });
      expect(read.name).toBe(other);
      expect({ ...read, name: created.name }).toEqual(created);
      expect((await clients.conversations.getConversation({ name: created.name })).name).toBe(created.name);
    });
  });

  describe("CompleteConversation", () => {
    it("moves IN_PROGRESS to COMPLETED and sets end_time", async () => {
      const created = await startConversation(clients, parent, humanProfile);
      const completed = await clients.conversations.completeConversation({ name: created.name });
      expect(completed.lifecycleState).toBe(State.COMPLETED);
      expect(completed.startTime).toEqual(created.startTime);
      const start = timestampDate(created.startTime!).getTime();
      const end = timestampDate(completed.endTime!).getTime();
      expect(end).toBeGreaterThanOrEqual(start);
      expect(await clients.conversations.getConversation({ name: created.name })).toEqual(completed);
    });

    it("is idempotent: completing again returns the conversation unchanged", async () => {
      const created = await startConversation(clients, shortParent, await createHumanProfile(clients, shortParent));
      const first = await clients.conversations.completeConversation({ name: created.name });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const second = await clients.conversations.completeConversation({ name: created.name });
      expect(second).toEqual(first);
    });

    it("returns NOT_FOUND with ResourceInfo for an absent conversation", async () => {
      const name = `${shortParent}/conversations/absent-one`;
      await expectResourceError(clients.conversations.completeConversation({ name }), Code.NotFound, name);
    });

    it("rejects a malformed name", async () => {
      await expectInvalidArgument(clients.conversations.completeConversation({ name: "projects/acme-1/things/x" }), "name", /not a valid name/);
    });
  });

  it("lists what was created, newest first", async () => {
    const listParent = "projects/acme-1/locations/list-check";
    const profile = await createHumanProfile(clients, listParent);
    const created = [];
    for (const id of ["first", "second", "third"]) created.push(await startConversation(clients, listParent, profile, id));
    const listed = await listAll(clients, listParent);
    expect(listed.map((c) => c.name)).toEqual(created.reverse().map((c) => c.name));
  });
});
