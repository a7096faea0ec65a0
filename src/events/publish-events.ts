import type { Logger } from "pino";
import type { EventMetrics } from "../observability/metrics.js";
import type { OutboxEvent, PublishOutcome } from "../store/event-outbox.js";
import { encodeConversationEvent } from "./conversation-event.js";
import { PUBSUB_REQUEST_LIMITS, splitIntoPublishRequests } from "./publish-requests.js";
import { isMissingTopic, type EventPublisher } from "./pubsub-publisher.js";
import { pubsubTopicName } from "./pubsub-topic.js";

export interface PublishEventsOptions {
  readonly publisher: EventPublisher;
  readonly log: Logger;
  readonly metrics: EventMetrics;
  /** How long an event for a missing topic is retried before it is dropped. */
  readonly missingTopicSeconds: number;
  /** Publishes still unanswered when this aborts count as failed (the relay is stopping). */
  readonly signal: AbortSignal;
}

const MAX_RETRY_MS = 30_000;

/** Retries back off exponentially from a quarter second to half a minute. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_RETRY_MS, 250 * 2 ** Math.min(attempts, 10));
}

interface Encoded {
  readonly event: OutboxEvent;
  readonly data: Uint8Array;
}

/**
 * Publishes one batch of claimed events and says what became of each: the
 * events of a topic go in one Publish request (more only past Pub/Sub's
 * limits), and a request's outcome is each of its events' outcome. A batch
 * holds at most one event per conversation (store/event-outbox.ts), so how
 * the requests interleave cannot reorder a conversation's events.
 */
export async function publishEvents(events: readonly OutboxEvent[], options: PublishEventsOptions): Promise<PublishOutcome[]> {
  let stop = () => {};
  const stopped = new Promise<never>((_, reject) => (stop = () => reject(new Error("the relay is stopping"))));
  stopped.catch(() => {});
  if (options.signal.aborted) stop();
  // Removed once the batch settles: the signal lives as long as the relay, and a listener per batch would pile up.
  options.signal.addEventListener("abort", stop, { once: true });
  const outcomes: PublishOutcome[] = [];
  const requests: Promise<PublishOutcome[]>[] = [];
  for (const [topic, group] of groupByTopic(events, options, outcomes)) {
    for (const request of splitIntoPublishRequests(group, (encoded) => encoded.data.byteLength, PUBSUB_REQUEST_LIMITS)) {
      requests.push(publishRequest(topic, request, options, stopped));
    }
  }
  for (const settled of await Promise.all(requests).finally(() => options.signal.removeEventListener("abort", stop))) outcomes.push(...settled);
  let published = 0;
  let failed = 0;
  for (const outcome of outcomes) {
    if (outcome.kind === "published") published++;
    else if (outcome.kind === "failed") failed++;
  }
  if (published > 0) options.metrics.observePublished(published);
  if (failed > 0) options.metrics.observeFailed(failed);
  return outcomes;
}

/** The batch's events encoded, by Pub/Sub topic; events whose topic names none are dropped into `outcomes`. */
function groupByTopic(events: readonly OutboxEvent[], options: PublishEventsOptions, outcomes: PublishOutcome[]): Map<string, Encoded[]> {
  const topics = new Map<string, string | undefined>();
  const groups = new Map<string, Encoded[]>();
  for (const event of events) {
    // A batch names few topics: each is parsed once.
    if (!topics.has(event.topic)) topics.set(event.topic, pubsubTopicName(event.topic));
    const topic = topics.get(event.topic);
    if (topic === undefined) {
      options.log.warn(about(event), "conversation event dropped: the profile's topic is not projects/P/topics/T or projects/P/locations/L/topics/T");
      options.metrics.observeDropped("invalid_topic", 1);
      outcomes.push({ id: event.id, kind: "dropped" });
      continue;
    }
    let data: Uint8Array;
    try {
      data = encodeConversationEvent(event);
    } catch (error) {
      // A row the encoder refuses is our bug; it waits like an unpublished event rather than stalling the batch.
      options.log.warn({ ...about(event), err: error }, "conversation event not encoded; retrying");
      outcomes.push({ id: event.id, kind: "failed", retryAfterMs: retryDelayMs(event.attempts), missingTopic: false });
      continue;
    }
    let group = groups.get(topic);
    if (group === undefined) groups.set(topic, (group = []));
    group.push({ event, data });
  }
  return groups;
}

async function publishRequest(topic: string, request: readonly Encoded[], options: PublishEventsOptions, stopped: Promise<never>): Promise<PublishOutcome[]> {
  try {
    await Promise.race([options.publisher.publish(topic, request.map((encoded) => encoded.data)), stopped]);
    return request.map(({ event }) => ({ id: event.id, kind: "published" }));
  } catch (error) {
    const missingTopic = isMissingTopic(error);
    const outcomes: PublishOutcome[] = [];
    let retried = 0;
    let firstFailures = 0;
    for (const { event } of request) {
      if (missingTopic && (event.missingTopicSeconds ?? 0) >= options.missingTopicSeconds) {
        options.log.warn({ ...about(event), attempts: event.attempts + 1 }, `conversation event dropped: topic ${topic} does not exist`);
        options.metrics.observeDropped("missing_topic", 1);
        outcomes.push({ id: event.id, kind: "dropped" });
      } else {
        retried++;
        if (event.attempts === 0) firstFailures++;
        outcomes.push({ id: event.id, kind: "failed", retryAfterMs: retryDelayMs(event.attempts), missingTopic });
      }
    }
    // An event's first failure is worth a line (one per request); its retries are not.
    if (retried > 0) {
      options.log[firstFailures > 0 ? "warn" : "debug"]({ topic, events: retried, firstEventId: request[0]?.event.id, err: error }, "conversation events not published yet; retrying");
    }
    return outcomes;
  }
}

function about(event: OutboxEvent) {
  return { eventId: event.id, conversation: `projects/${event.project}/locations/${event.location}/conversations/${event.conversationId}`, topic: event.topic };
}
