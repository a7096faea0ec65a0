import { describe, expect, it } from "vitest";
import { captureLog } from "./support/captured-log.js";
import { createClients, startTestServer } from "./support/test-server.js";

// EVENTS_OUTBOX_MAX: with nothing publishing (EVENTS_PUBLISH=false here; an
// absent Pub/Sub is the same to the outbox), the oldest events are dropped
// past the bound, counted and logged. No Pub/Sub emulator needed.

const parent = "projects/bound-test/locations/global";

interface LogLine {
  readonly msg: string;
  readonly dropped?: number;
  readonly outboxMax?: number;
}

async function metric(baseUrl: string, pattern: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const match = pattern.exec(text);
  return match === null ? undefined : Number(match[1]);
}

describe("the conversation events outbox", () => {
  it("keeps the newest EVENTS_OUTBOX_MAX events and drops the oldest, with events_dropped_total and a log line", async () => {
    const captured = captureLog<LogLine>();
    const test = await startTestServer({
      log: captured.log,
      events: { publish: false, pubsubEmulatorHost: undefined, outboxMax: 3, missingTopicSeconds: 600, upkeepMs: 50 },
    });
    try {
      const clients = createClients("grpc", test.baseUrl);
      const profile = await clients.profiles.createConversationProfile({
        parent,
        conversationProfile: { displayName: "Notifying", notificationConfig: { topic: "projects/bound-test/topics/events" } },
      });
      const names: string[] = [];
      for (let i = 0; i < 10; i++) {
        names.push((await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } })).name);
      }

      const deadline = Date.now() + 10_000;
      let dropped: number | undefined;
      let pending: number | undefined;
      while (Date.now() < deadline) {
        dropped = await metric(test.baseUrl, /^events_dropped_total\{reason="outbox_full"\} (\d+)$/m);
        pending = await metric(test.baseUrl, /^events_pending (\d+)$/m);
        if (dropped === 7 && pending === 3) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect({ dropped, pending }).toEqual({ dropped: 7, pending: 3 });

      // The three left are the last three conversations' CONVERSATION_STARTED.
      const kept = await test.testDatabase.database.query<{ conversation: string }>({ text: "SELECT conversation_id AS conversation FROM event_outbox ORDER BY id" });
      expect(kept.map((row) => `${parent}/conversations/${row.conversation}`)).toEqual(names.slice(7));

      // Trims may split the seven between upkeep passes; every one was logged.
      const lines = captured.lines.filter((line) => line.msg === "conversation events dropped: the outbox holds at most 3");
      expect(lines.reduce((sum, line) => sum + (line.dropped ?? 0), 0)).toBe(7);
      expect(lines.every((line) => line.outboxMax === 3)).toBe(true);
      expect(test.internalErrors).toEqual([]);
    } finally {
      await test.stop();
    }
  });
});
