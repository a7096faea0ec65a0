import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBootstrap } from "../src/domain/bootstrap.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import type { ConversationProfile } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { loadBootstrap } from "../src/store/bootstrap.js";
import { failureOf } from "./support/errors.js";
import { startConversation } from "./support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// Telephony numbers from the bootstrap file (DESIGN §4.8): each running
// conversation of a profile with numbers holds one no other running one holds.

const parent = "projects/phones/locations/global";
const numbers = (count: number, base = 15550100) => Array.from({ length: count }, (_, i) => `+${base + i}`);
const bootstrap = parseBootstrap({
  conversationProfiles: [
    { parent, id: "two-lines", displayName: "Two lines", phoneNumbers: numbers(2) },
    { parent, id: "call-centre", displayName: "Call centre", automatedAgentConfig: { agent: "projects/phones/agent" }, phoneNumbers: numbers(60, 15560000) },
    { parent, id: "small-pool", displayName: "Small pool", phoneNumbers: numbers(20, 15570000) },
    { parent, id: "no-lines", displayName: "No numbers" },
  ],
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("telephony numbers", () => {
  let test: TestServer;
  let clients: Clients;
  const profile = async (id: string): Promise<ConversationProfile> =>
    clients.profiles.getConversationProfile({ name: `${parent}/conversationProfiles/${id}` });

  beforeAll(async () => {
    test = await startTestServer({ bootstrap });
    clients = createClients("grpc", test.baseUrl);
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("creates the profiles the bootstrap file declares, with their IDs", async () => {
    const callCentre = await profile("call-centre");
    expect(callCentre.displayName).toBe("Call centre");
    expect(callCentre.automatedAgentConfig?.agent).toBe("projects/phones/agent");
  });

  it("gives each conversation a free number, RESOURCE_EXHAUSTED when none is left, and frees it on complete", async () => {
    const lines = await profile("two-lines");
    const first = await startConversation(clients, parent, lines, "line-a");
    const second = await startConversation(clients, parent, lines, "line-b");
    const held = [first.phoneNumber?.phoneNumber, second.phoneNumber?.phoneNumber];
    expect(new Set(held)).toEqual(new Set(numbers(2)));
    expect((await clients.conversations.getConversation({ name: first.name })).phoneNumber?.phoneNumber).toBe(held[0]);

    const error = await failureOf(startConversation(clients, parent, lines, "line-c"));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("PHONE_NUMBERS_EXHAUSTED");
    expect((await failureOf(clients.conversations.getConversation({ name: `${parent}/conversations/line-c` }))).code).toBe(Code.NotFound);

    await clients.conversations.completeConversation({ name: first.name });
    const third = await startConversation(clients, parent, lines, "line-c");
    expect(third.phoneNumber?.phoneNumber).toBe(held[0]);
    // The completed conversation keeps showing the number it had.
    expect((await clients.conversations.getConversation({ name: first.name })).phoneNumber?.phoneNumber).toBe(held[0]);
  });

  it("never gives one number to two of 50 concurrent creates", async () => {
    const callCentre = await profile("call-centre");
    const created = await Promise.all(Array.from({ length: 50 }, () => startConversation(clients, parent, callCentre)));
    const held = created.map((c) => c.phoneNumber?.phoneNumber);
    expect(held.every((n) => n !== undefined)).toBe(true);
    expect(new Set(held).size).toBe(50);
  });

  it("lets exactly as many of 50 concurrent creates succeed as there are numbers", async () => {
    const smallPool = await profile("small-pool");
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => startConversation(clients, parent, smallPool)));
    const created = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    const failures = outcomes.flatMap((o) => (o.status === "rejected" ? [ConnectError.from(o.reason).code] : []));
    expect(created).toHaveLength(20);
    expect(new Set(created.map((c) => c.phoneNumber?.phoneNumber)).size).toBe(20);
    expect(failures).toEqual(Array.from({ length: 30 }, () => Code.ResourceExhausted));
  });

  it("leaves conversations of a profile without numbers without one", async () => {
    const conversation = await startConversation(clients, parent, await profile("no-lines"));
    expect(conversation.phoneNumber).toBeUndefined();
  });

  it("still spends one statement on a create that takes a number", async () => {
    const callCentre = await profile("call-centre");
    const before = test.server.database.statementCount;
    await startConversation(clients, parent, callCentre);
    expect(test.server.database.statementCount - before).toBe(1);
  });

  it("loads the same bootstrap twice without changing anything", async () => {
    const snapshot = async () =>
      test.testDatabase.database.query({
        text: `SELECT p.id, p.body, p.update_time, n.phone_number FROM conversation_profiles p
LEFT JOIN profile_phone_numbers n ON (n.project, n.location, n.profile_id) = (p.project, p.location, p.id)
WHERE p.project = 'phones' ORDER BY p.id, n.phone_number`,
      });
    const before = await snapshot();
    await loadBootstrap(test.testDatabase.database, bootstrap);
    expect(await snapshot()).toEqual(before);
  });
});

describe("telephony numbers over time", () => {
  let test: TestServer;
  let clients: Clients;

  beforeAll(async () => {
    test = await startTestServer({ bootstrap, conversationTtlSeconds: 1, purgeAfterSeconds: 1 });
    clients = createClients("grpc", test.baseUrl);
  });
  afterAll(async () => {
    await test.stop();
  });

  it("frees a number when its conversation completes by itself, and keeps it free after purge", async () => {
    const lines = await clients.profiles.getConversationProfile({ name: `${parent}/conversationProfiles/two-lines` });
    const first = await Promise.all([startConversation(clients, parent, lines), startConversation(clients, parent, lines)]);
    expect(new Set(first.map((c) => c.phoneNumber?.phoneNumber))).toEqual(new Set(numbers(2)));
    expect((await failureOf(startConversation(clients, parent, lines))).code).toBe(Code.ResourceExhausted);
    await sleep(1200); // both outlived their 1 s time-to-live
    const again = await Promise.all([startConversation(clients, parent, lines), startConversation(clients, parent, lines)]);
    expect(new Set(again.map((c) => c.phoneNumber?.phoneNumber))).toEqual(new Set(numbers(2)));
    await sleep(2300); // expired and past the 1 s purge
    const afterPurge = await startConversation(clients, parent, lines);
    expect(numbers(2)).toContain(afterPurge.phoneNumber?.phoneNumber);
  });
});
