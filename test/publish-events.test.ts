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

function options(publisher: EventPublisher, signal: AbortSignal, metrics: Partial<PublishEventsOptions["metrics"]> = {}): PublishEventsOptions {
  return {
    publisher,
    log: pino({ level: "silent" }),
    metrics: { observePublished: () => {}, observeFailed: () => {}, observeDropped: () => {}, observeBacklog: () => {}, ...metrics },
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

  it("sends each topic's events in one request, in the batch's order, and counts them published", async () => {
    const requests: { topic: string; count: number }[] = [];
    const recording: EventPublisher = {
      publish: async (topic, messages) => void requests.push({ topic, count: messages.length }),
      close: async () => {},
    };
    const batch = [1, 2, 3, 4, 5].map((id) => ({ ...event, id, conversationId: `c-${id}`, topic: id % 2 === 0 ? "projects/p/locations/l/topics/even" : "projects/p/topics/odd" }));
    const published: number[] = [];
    const outcomes = await publishEvents(batch, options(recording, new AbortController().signal, { observePublished: (count) => void published.push(count) }));
    expect(requests).toEqual([
      { topic: "projects/p/topics/odd", count: 3 },
      { topic: "projects/p/topics/even", count: 2 },
    ]);
    expect(outcomes.map((outcome) => [outcome.id, outcome.kind])).toEqual([[1, "published"], [3, "published"], [5, "published"], [2, "published"], [4, "published"]]);
    expect(published).toEqual([5]);
  });

  it("fails the events of a refused request only; the other topic's are published", async () => {
    const halfAway: EventPublisher = {
      publish: async (topic) => (topic.endsWith("/away") ? Promise.reject(Object.assign(new Error("UNAVAILABLE"), { code: 14 })) : undefined),
      close: async () => {},
    };
    const batch = [
      { ...event, id: 1, topic: "projects/p/topics/away" },
      { ...event, id: 2, topic: "projects/p/topics/here", attempts: 2 },
      { ...event, id: 3, topic: "projects/p/topics/away", attempts: 1 },
      { ...event, id: 4, topic: "not a topic" },
    ];
    const outcomes = await publishEvents(batch, options(halfAway, new AbortController().signal));
    expect([...outcomes].sort((a, b) => a.id - b.id)).toEqual([
      { id: 1, kind: "failed", retryAfterMs: 250, missingTopic: false },
      { id: 2, kind: "published" },
      { id: 3, kind: "failed", retryAfterMs: 500, missingTopic: false },
      { id: 4, kind: "dropped" },
    ]);
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
