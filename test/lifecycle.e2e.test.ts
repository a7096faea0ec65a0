import { Code } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Conversation_LifecycleState as State, type Conversation } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { sweepOnce } from "../src/store/sweeps.js";
import { expectResourceError } from "./support/errors.js";
import { createHumanProfile, listAll, startConversation } from "./support/fixtures.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// Conversations complete by themselves TTL after they start and vanish
// PURGE_AFTER after they end (DESIGN §4.6). Time is controlled by tiny TTLs.

const TTL = 1;
const PURGE_AFTER = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const micros = (c: Conversation, field: "startTime" | "endTime") => {
  const t = c[field]!;
  return Number(t.seconds) * 1_000_000 + Math.floor(t.nanos / 1000);
};

describe("conversation lifecycle over time", () => {
  const parent = "projects/aging/locations/global";
  let test: TestServer;
  let clients: Clients;

  beforeAll(async () => {
    test = await startTestServer({ conversationTtlSeconds: TTL, purgeAfterSeconds: PURGE_AFTER, sweepIntervalSeconds: 0 });
    clients = createClients("grpc", test.baseUrl);
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  async function storedEndTime(name: string): Promise<number | null> {
    const id = name.split("/").pop();
    const [row] = await test.testDatabase.database.query<{ end_micros: number | null }>(
      { text: "SELECT floor(extract(epoch FROM end_time) * 1000000)::int8 AS end_micros FROM conversations WHERE id = $1" },
      [id],
    );
    return row?.end_micros ?? null;
  }

  it("shows COMPLETED at start_time + TTL on every read before any sweep, then the sweep stores it", async () => {
    const profile = await createHumanProfile(clients, parent);
    const created = await startConversation(clients, parent, profile, "ages-out");
    expect(created.lifecycleState).toBe(State.IN_PROGRESS);
    await sleep(TTL * 1000 + 200);

    const read = await clients.conversations.getConversation({ name: created.name });
    expect(read.lifecycleState).toBe(State.COMPLETED);
    expect(micros(read, "endTime")).toBe(micros(created, "startTime") + TTL * 1_000_000);
    expect(await storedEndTime(created.name)).toBeNull();

    const listed = await listAll(clients, parent);
    expect(listed.find((c) => c.name === created.name)?.lifecycleState).toBe(State.COMPLETED);
    expect((await listAll(clients, parent, "lifecycle_state = COMPLETED")).map((c) => c.name)).toContain(created.name);
    expect((await listAll(clients, parent, "lifecycle_state = IN_PROGRESS")).map((c) => c.name)).not.toContain(created.name);
    const endText = timestampDate(read.endTime!).toISOString();
    expect((await listAll(clients, parent, `end_time <= "${endText.replace(/\.\d+Z$/, ".999999Z")}"`)).map((c) => c.name)).toContain(created.name);

    const counts = await sweepOnce(test.testDatabase.database, { ttlSeconds: TTL, purgeAfterSeconds: PURGE_AFTER });
    expect(counts.completed).toBeGreaterThanOrEqual(1);
    expect(await storedEndTime(created.name)).toBe(micros(created, "startTime") + TTL * 1_000_000);
    expect(await clients.conversations.getConversation({ name: created.name })).toEqual(read);
  });

  it("completes an expired conversation at its TTL end time, never later", async () => {
    const profile = await createHumanProfile(clients, parent);
    const created = await startConversation(clients, parent, profile, "late-complete");
    await sleep(TTL * 1000 + 300);
    const completed = await clients.conversations.completeConversation({ name: created.name });
    expect(completed.lifecycleState).toBe(State.COMPLETED);
    expect(micros(completed, "endTime")).toBe(micros(created, "startTime") + TTL * 1_000_000);
  });

  it("hides a conversation PURGE_AFTER after it ended, then the sweep deletes it", async () => {
    const profile = await createHumanProfile(clients, parent);
    const created = await startConversation(clients, parent, profile, "purged-one");
    await clients.conversations.completeConversation({ name: created.name });
    expect((await clients.conversations.getConversation({ name: created.name })).name).toBe(created.name);
    await sleep(PURGE_AFTER * 1000 + 300);
    await expectResourceError(clients.conversations.getConversation({ name: created.name }), Code.NotFound, created.name);
    await expectResourceError(clients.conversations.completeConversation({ name: created.name }), Code.NotFound, created.name);
    expect((await listAll(clients, parent)).map((c) => c.name)).not.toContain(created.name);

    await sweepOnce(test.testDatabase.database, { ttlSeconds: TTL, purgeAfterSeconds: PURGE_AFTER });
    expect(await test.testDatabase.database.query({ text: "SELECT 1 FROM conversations WHERE id = 'purged-one'" })).toEqual([]);
  });

  it("lets two sweepers race on one database without errors or double work, in small batches", async () => {
    const bulkParent = "projects/aging/locations/bulk";
    const profile = await createHumanProfile(clients, bulkParent);
    await test.testDatabase.database.query(
      {
        text: `INSERT INTO conversations (project, location, id, conversation_profile, profile_location, profile_id, conversation_stage, start_time)
SELECT 'aging', 'bulk', 'old-' || n, $1, 'bulk', split_part($1, '/', 6), 2, now() - interval '1 hour' FROM generate_series(1, 500) AS n`,
      },
      [profile.name],
    );
    const options = { ttlSeconds: TTL, purgeAfterSeconds: 7200, batchSize: 50 };
    const [first, second] = await Promise.all([
      sweepOnce(test.testDatabase.database, options),
      sweepOnce(test.testDatabase.database, options),
    ]);
    expect(first.completed + second.completed).toBe(500);
    const [row] = await test.testDatabase.database.query<{ open: number; wrong: number }>({
      text: `SELECT count(*) FILTER (WHERE end_time IS NULL)::int AS open,
  count(*) FILTER (WHERE end_time <> start_time + interval '1 second')::int AS wrong
FROM conversations WHERE location = 'bulk'`,
    });
    expect(row).toEqual({ open: 0, wrong: 0 });
  });

  it("runs the sweep on its own when an interval is set", async () => {
    const swept: number[] = [];
    const own = await startTestServer({
      conversationTtlSeconds: TTL,
      purgeAfterSeconds: 3600,
      sweepIntervalSeconds: 0.2,
      onSweep: (counts) => swept.push(counts.completed),
    });
    try {
      const ownClients = createClients("grpc", own.baseUrl);
      const profile = await createHumanProfile(ownClients, parent);
      await startConversation(ownClients, parent, profile, "swept-by-timer");
      await sleep(TTL * 1000 + 800);
      expect(swept.reduce((a, b) => a + b, 0)).toBe(1);
      const [row] = await own.testDatabase.database.query<{ ended: boolean }>({
        text: "SELECT end_time IS NOT NULL AS ended FROM conversations WHERE id = 'swept-by-timer'",
      });
      expect(row?.ended).toBe(true);
    } finally {
      await own.stop();
    }
  });
});
