import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../src/store/migrate.js";
import { relayBatch, type OutboxEvent, type PublishOutcome } from "../src/store/event-outbox.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

// The relay's claim on a real Postgres: which events one batch takes, and
// what a batch leaves behind when some of its events were published, some
// dropped and some failed.

interface Row {
  id: number;
  conversation_id: string;
  attempts: number;
  create_time: string;
  retry_in_ms: number;
  missing_topic_since: string | null;
}

describe("claiming outbox events", () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.database);
  }, 60_000);
  afterAll(async () => {
    await test?.dispose();
  });

  const insert = (conversationId: string, eventType: number) =>
    test.database.query<{ id: number }>(
      { text: "INSERT INTO event_outbox (project, location, conversation_id, event_type, topic) VALUES ('p', 'global', $1, $2, 'projects/p/topics/t') RETURNING id" },
      [conversationId, eventType],
    );
  const rows = () =>
    test.database.query<Row>({
      text: `SELECT id, conversation_id, attempts, create_time::text, missing_topic_since::text,
        round(extract(epoch FROM next_attempt_time - now()) * 1000)::int8 AS retry_in_ms FROM event_outbox ORDER BY id`,
    });
  const claim = (decide: (event: OutboxEvent) => PublishOutcome) => {
    let claimed: readonly OutboxEvent[] = [];
    return relayBatch(test.database, 100, async (events) => {
      claimed = events;
      return events.map(decide);
    }).then(() => claimed);
  };

  it("takes each conversation's first event, deletes the published and dropped, and writes back the failed as they were, to retry later", async () => {
    await test.database.query({ text: "DELETE FROM event_outbox" });
    const [a1] = await insert("a", 1);
    const [b1] = await insert("b", 1);
    const [c1] = await insert("c", 1);
    const [a2] = await insert("a", 2);
    const before = await rows();

    const first = await claim((event) =>
      event.conversationId === "a"
        ? { id: event.id, kind: "published" }
        : event.conversationId === "b"
          ? { id: event.id, kind: "failed", retryAfterMs: 60_000, missingTopic: true }
          : { id: event.id, kind: "dropped" },
    );
    expect(first.map((event) => event.id)).toEqual([a1!.id, b1!.id, c1!.id]);
    const after = await rows();
    expect(after.map((row) => [row.id, row.conversation_id, row.attempts])).toEqual([
      [b1!.id, "b", 1],
      [a2!.id, "a", 0],
    ]);
    const failed = after[0]!;
    expect(failed.create_time).toBe(before.find((row) => row.id === b1!.id)!.create_time);
    expect(failed.missing_topic_since).not.toBeNull();
    expect(failed.retry_in_ms).toBeGreaterThan(50_000);

    // The failed event waits for its retry; a's next event is free now.
    const second = await claim((event) => ({ id: event.id, kind: "failed", retryAfterMs: 0, missingTopic: false }));
    expect(second.map((event) => event.id)).toEqual([a2!.id]);
    const again = await rows();
    expect(again.map((row) => [row.id, row.attempts, row.missing_topic_since])).toEqual([
      [b1!.id, 1, failed.missing_topic_since],
      [a2!.id, 1, null],
    ]);
  });

  it("leaves everything as it was when the publish throws", async () => {
    await test.database.query({ text: "DELETE FROM event_outbox" });
    await insert("d", 1);
    const before = await rows();
    await expect(
      relayBatch(test.database, 100, async () => {
        throw new Error("the relay is stopping");
      }),
    ).rejects.toThrow("the relay is stopping");
    expect(await rows()).toEqual(before.map((row) => ({ ...row, retry_in_ms: expect.any(Number) })));
  });

  it("gives two relays claiming at once different events", async () => {
    await test.database.query({ text: "DELETE FROM event_outbox" });
    for (let index = 0; index < 40; index++) await insert(`e${index}`, 1);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstClaimed: readonly OutboxEvent[] = [];
    const first = relayBatch(test.database, 20, async (events) => {
      firstClaimed = events;
      await held;
      return events.map((event) => ({ id: event.id, kind: "published" as const }));
    });
    while (firstClaimed.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await claim((event) => ({ id: event.id, kind: "published" }));
    release();
    await first;
    const ids = [...firstClaimed, ...second].map((event) => event.id);
    expect(new Set(ids).size).toBe(40);
    expect(await rows()).toEqual([]);
  });
});
