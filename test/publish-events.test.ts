import { getEventListeners } from "node:events";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { publishEvents, type PublishEventsOptions } from "../src/events/publish-events.js";
import type { EventPublisher } from "../src/events/pubsub-publisher.js";
import type { OutboxEvent } from "../src/store/event-outbox.js";

// One relay batch handed to a publisher: what becomes of each event, and what
// the batch leaves behind on the relay's long-lived stop signal.

const event: OutboxEvent = {
  id: 1,
  project: "p",
  location: "global",
  conversationId: "c-1",
  eventType: 1,
  topic: "projects/p/topics/t",
  messageFormat: "",
  message: null,
  attempts: 0,
  missingTopicSeconds: null,
};

function options(publisher: EventPublisher, signal: AbortSignal): PublishEventsOptions {
  return {
    publisher,
    log: pino({ level: "silent" }),
    metrics: { observePublished: () => {}, observeFailed: () => {}, observeDropped: () => {}, observeBacklog: () => {} },
    missingTopicSeconds: 60,
    signal,
  };
}

const acknowledging: EventPublisher = { publish: async () => {}, close: async () => {} };

describe("publishEvents", () => {
  it("leaves no listener on the relay's stop signal once a batch settles", async () => {
    const stopping = new AbortController();
    for (let batch = 0; batch < 20; batch++) {
      expect(await publishEvents([event, { ...event, id: 2 }], options(acknowledging, stopping.signal))).toEqual([
        { id: 1, kind: "published" },
        { id: 2, kind: "published" },
      ]);
    }
    expect(getEventListeners(stopping.signal, "abort")).toHaveLength(0);
  });

  it("counts a publish still unanswered when the relay stops as failed, to be retried", async () => {
    const stopping = new AbortController();
    const silent: EventPublisher = { publish: () => new Promise(() => {}), close: async () => {} };
    const outcomes = publishEvents([event], options(silent, stopping.signal));
    stopping.abort();
    expect(await outcomes).toEqual([{ id: 1, kind: "failed", retryAfterMs: 250, missingTopic: false }]);
  });

  it("drops an event for a topic that stayed missing past the limit, and retries one that has not yet", async () => {
    const missing: EventPublisher = { publish: async () => Promise.reject(Object.assign(new Error("NOT_FOUND: Topic not found"), { code: 5 })), close: async () => {} };
    const signal = new AbortController().signal;
    expect(await publishEvents([{ ...event, attempts: 3, missingTopicSeconds: 61 }], options(missing, signal))).toEqual([{ id: 1, kind: "dropped" }]);
    expect(await publishEvents([{ ...event, attempts: 3, missingTopicSeconds: 59 }], options(missing, signal))).toEqual([
      { id: 1, kind: "failed", retryAfterMs: 2000, missingTopic: true },
    ]);
  });
});
