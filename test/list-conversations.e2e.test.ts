import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conversation } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { Conversation_LifecycleState as State } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { expectInvalidArgument } from "./support/errors.js";
import { createAgentProfile, createHumanProfile, listAll, startConversation } from "./support/fixtures.js";
import { PROTOCOLS, createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// ListConversations (DESIGN §4.4): order, page sizes, page tokens and filters.
describe.each(PROTOCOLS)("ListConversations over %s", (protocol) => {
  const parent = "projects/lister/locations/global";
  let test: TestServer;
  let clients: Clients;
  let created: Conversation[]; // oldest first
  let completedNames: Set<string>;

  beforeAll(async () => {
    test = await startTestServer();
    clients = createClients(protocol, test.baseUrl);
    const agent = await createAgentProfile(clients, parent);
    const human = await createHumanProfile(clients, parent);
    created = [];
    for (let i = 0; i < 7; i++) created.push(await startConversation(clients, parent, i % 2 === 0 ? agent : human, `conv-${i}`));
    completedNames = new Set();
    for (const index of [1, 4]) {
      const completed = await clients.conversations.completeConversation({ name: created[index]!.name });
      completedNames.add(completed.name);
    }
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("returns conversations newest first", async () => {
    const page = await clients.conversations.listConversations({ parent });
    expect(page.conversations.map((c) => c.name)).toEqual([...created].reverse().map((c) => c.name));
    expect(page.nextPageToken).toBe("");
  });

  it("returns nothing for a parent without conversations, and never another parent's", async () => {
    const page = await clients.conversations.listConversations({ parent: "projects/lister/locations/us-east1" });
    expect(page.conversations).toEqual([]);
    expect(page.nextPageToken).toBe("");
  });

  it("pages through every conversation exactly once, with an empty token exactly on the last page", async () => {
    const sizes: number[] = [];
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await clients.conversations.listConversations({ parent, pageSize: 3, pageToken });
      sizes.push(page.conversations.length);
      seen.push(...page.conversations.map((c) => c.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual([...created].reverse().map((c) => c.name));
  });

  it("ends with an empty token when the last page is exactly full", async () => {
    const first = await clients.conversations.listConversations({ parent, pageSize: 7 });
    expect(first.conversations).toHaveLength(7);
    expect(first.nextPageToken).toBe("");
  });

  it("issues URL-safe page tokens", async () => {
    const page = await clients.conversations.listConversations({ parent, pageSize: 2 });
    expect(page.nextPageToken).toMatch(/^[A-Za-z0-9_.-]+$/);
  });

  it("stays stable when conversations are created between pages", async () => {
    const insertParent = "projects/lister/locations/churn";
    const profile = await createHumanProfile(clients, insertParent);
    for (let i = 0; i < 4; i++) await startConversation(clients, insertParent, profile, `old-${i}`);
    const first = await clients.conversations.listConversations({ parent: insertParent, pageSize: 2 });
    for (let i = 0; i < 3; i++) await startConversation(clients, insertParent, profile, `new-${i}`);
    const second = await clients.conversations.listConversations({ parent: insertParent, pageSize: 2, pageToken: first.nextPageToken });
    const names = [...first.conversations, ...second.conversations].map((c) => c.name.split("/").pop());
    expect(names).toEqual(["old-3", "old-2", "old-1", "old-0"]);
    expect(second.nextPageToken).toBe("");
  });

  it("rejects a negative page_size", async () => {
    await expectInvalidArgument(clients.conversations.listConversations({ parent, pageSize: -1 }), "page_size", /negative/);
  });

  it("rejects a garbled page_token", async () => {
    await expectInvalidArgument(clients.conversations.listConversations({ parent, pageToken: "garbage" }), "page_token", /token/);
  });

  it("rejects a page_token edited by hand", async () => {
    const { nextPageToken } = await clients.conversations.listConversations({ parent, pageSize: 2 });
    const [payload, mac] = nextPageToken.split(".");
    const forged = Buffer.from(JSON.stringify([0, "zzz"])).toString("base64url");
    await expectInvalidArgument(clients.conversations.listConversations({ parent, pageToken: `${forged}.${mac}` }), "page_token", /token/);
    const flipped = `${payload}.${mac!.startsWith("A") ? "B" : "A"}${mac!.slice(1)}`;
    await expectInvalidArgument(clients.conversations.listConversations({ parent, pageToken: flipped }), "page_token", /token/);
  });

  it("rejects a page_token reused with another parent", async () => {
    const { nextPageToken } = await clients.conversations.listConversations({ parent, pageSize: 2 });
    await expectInvalidArgument(
      clients.conversations.listConversations({ parent: "projects/lister/locations/us-east1", pageToken: nextPageToken }),
      "page_token",
      /parent and filter/,
    );
  });

  it("rejects a page_token reused with another filter", async () => {
    const { nextPageToken } = await clients.conversations.listConversations({ parent, pageSize: 2 });
    await expectInvalidArgument(
      clients.conversations.listConversations({ parent, pageToken: nextPageToken, filter: 'lifecycle_state = "IN_PROGRESS"' }),
      "page_token",
      /parent and filter/,
    );
  });

  it("accepts a page_token with another page_size", async () => {
    const first = await clients.conversations.listConversations({ parent, pageSize: 2 });
    const rest = await clients.conversations.listConversations({ parent, pageSize: 10, pageToken: first.nextPageToken });
    expect(rest.conversations).toHaveLength(5);
  });

  it("filters on lifecycle_state, quoted or bare", async () => {
    const completed = await listAll(clients, parent, 'lifecycle_state = "COMPLETED"');
    expect(new Set(completed.map((c) => c.name))).toEqual(completedNames);
    expect(completed.every((c) => c.lifecycleState === State.COMPLETED)).toBe(true);
    const running = await listAll(clients, parent, "lifecycle_state = IN_PROGRESS");
    expect(running).toHaveLength(5);
    expect(running.some((c) => completedNames.has(c.name))).toBe(false);
  });

  it("filters on conversation_stage and conversation_profile, with AND / OR / NOT", async () => {
    const virtual = await listAll(clients, parent, "conversation_stage = VIRTUAL_AGENT_STAGE");
    expect(virtual.map((c) => c.name.split("/").pop())).toEqual(["conv-6", "conv-4", "conv-2", "conv-0"]);
    const profile = created[1]!.conversationProfile;
    const byProfile = await listAll(clients, parent, `conversation_profile = "${profile}"`);
    expect(byProfile.map((c) => c.name.split("/").pop())).toEqual(["conv-5", "conv-3", "conv-1"]);
    const either = await listAll(clients, parent, 'lifecycle_state = COMPLETED OR conversation_stage = "VIRTUAL_AGENT_STAGE"');
    expect(either).toHaveLength(5);
    const negated = await listAll(clients, parent, "NOT (lifecycle_state = COMPLETED) AND conversation_stage = HUMAN_ASSIST_STAGE");
    expect(negated.map((c) => c.name.split("/").pop())).toEqual(["conv-5", "conv-3"]);
  });

  it("filters on start_time and end_time with RFC 3339 timestamps", async () => {
    const pivot = created[3]!.startTime!;
    const nanosOf = (c: Conversation) => c.startTime!.seconds * 1_000_000_000n + BigInt(c.startTime!.nanos);
    const pivotText = `${new Date(Number(pivot.seconds) * 1000).toISOString().slice(0, 19)}.${String(pivot.nanos).padStart(9, "0")}Z`;
    const after = await listAll(clients, parent, `start_time > "${pivotText}"`);
    const expected = [...created].reverse().filter((c) => nanosOf(c) > nanosOf(created[3]!));
    expect(expected.length).toBeGreaterThan(0);
    expect(after.map((c) => c.name)).toEqual(expected.map((c) => c.name));
    const ended = await listAll(clients, parent, `end_time >= "2000-01-01T00:00:00Z"`);
    expect(new Set(ended.map((c) => c.name))).toEqual(completedNames);
  });

  it("pages through a filtered list", async () => {
    const first = await clients.conversations.listConversations({ parent, pageSize: 2, filter: "lifecycle_state = IN_PROGRESS" });
    expect(first.conversations).toHaveLength(2);
    const second = await clients.conversations.listConversations({
      parent,
      pageSize: 5,
      filter: "lifecycle_state = IN_PROGRESS",
      pageToken: first.nextPageToken,
    });
    expect(second.conversations).toHaveLength(3);
    expect(second.nextPageToken).toBe("");
  });

  it.each([
    ["unknown field", "colour = RED", /colour/],
    ["bad enum value", "lifecycle_state = DONE", /DONE/],
    ["syntax error", "lifecycle_state = ", /position/],
    ["bad timestamp", 'start_time > "yesterday"', /yesterday/],
    ["injection attempt", "lifecycle_state = COMPLETED; DROP TABLE conversations --", /position/],
  ])("rejects a filter with a %s, naming the position or value", async (_kind, filter, rule) => {
    await expectInvalidArgument(clients.conversations.listConversations({ parent, filter }), "filter", rule);
    expect(await listAll(clients, parent)).toHaveLength(7);
  });
});

describe("ListConversations page sizes", () => {
  const parent = "projects/big/locations/global";
  let test: TestServer;
  let clients: Clients;

  beforeAll(async () => {
    test = await startTestServer();
    clients = createClients("grpc", test.baseUrl);
    const profile = await createHumanProfile(clients, parent);
    // 1001 rows written straight to the database: the page size cap is the rule under test, not Create.
    await test.testDatabase.database.query(
      {
        text: `INSERT INTO conversations (project, location, id, conversation_profile, profile_location, profile_id, conversation_stage, start_time)
SELECT 'big', 'global', 'bulk-' || n, $1, 'global', split_part($1, '/', 6), 2, now() - n * interval '1 second' FROM generate_series(1, 1001) AS n`,
      },
      [profile.name],
    );
  });
  afterAll(async () => {
    await test.stop();
  });

  it("serves 100 when page_size is 0", async () => {
    const page = await clients.conversations.listConversations({ parent, pageSize: 0 });
    expect(page.conversations).toHaveLength(100);
    expect(page.nextPageToken).not.toBe("");
  });

  it("caps page_size at 1000", async () => {
    const page = await clients.conversations.listConversations({ parent, pageSize: 5000 });
    expect(page.conversations).toHaveLength(1000);
    const rest = await clients.conversations.listConversations({ parent, pageSize: 5000, pageToken: page.nextPageToken });
    expect(rest.conversations.map((c) => c.name)).toEqual([`${parent}/conversations/bulk-1001`]);
    expect(rest.nextPageToken).toBe("");
  });
});
