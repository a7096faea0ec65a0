import type { Logger } from "pino";
import type { EventMetrics } from "../observability/metrics.js";
import type { OutboxEvent, PublishOutcome } from "../store/event-outbox.js";
import { encodeConversationEvent, toConversationEvent } from "./conversation-event.js";
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

/** Publishes one batch of claimed events at once and says what became of each. */
export async function publishEvents(events: readonly OutboxEvent[], options: PublishEventsOptions): Promise<PublishOutcome[]> {
  let stop = () => {};
  const stopped = new Promise<never>((_, reject) => (stop = () => reject(new Error("the relay is stopping"))));
  stopped.catch(() => {});
  if (options.signal.aborted) stop();
  // Removed once the batch settles: the signal lives as long as the relay, and a listener per batch would pile up.
  options.signal.addEventListener("abort", stop, { once: true });
  const outcomes = await Promise.all(events.map((event) => publishOne(event, options, stopped))).finally(() =>
    options.signal.removeEventListener("abort", stop),
  );
  const count = (kind: PublishOutcome["kind"]) => outcomes.filter((outcome) => outcome.kind === kind).length;
  if (count("published") > 0) options.metrics.observePublished(count("published"));
  if (count("failed") > 0) options.metrics.observeFailed(count("failed"));
  return outcomes;
}

async function publishOne(event: OutboxEvent, options: PublishEventsOptions, stopped: Promise<never>): Promise<PublishOutcome> {
  const topic = pubsubTopicName(event.topic);
  const about = { eventId: event.id, conversation: `projects/${event.project}/locations/${event.location}/conversations/${event.conversationId}`, topic: event.topic };
  if (topic === undefined) {
    options.log.warn(about, "conversation event dropped: the profile's topic is not projects/P/topics/T or projects/P/locations/L/topics/T");
    options.metrics.observeDropped("invalid_topic", 1);
    return { id: event.id, kind: "dropped" };
  }
  try {
    const data = encodeConversationEvent(toConversationEvent(event), event.messageFormat);
    await Promise.race([options.publisher.publish(topic, data), stopped]);
    return { id: event.id, kind: "published" };
  } catch (error) {
    const missingTopic = isMissingTopic(error);
    if (missingTopic && (event.missingTopicSeconds ?? 0) >= options.missingTopicSeconds) {
      options.log.warn({ ...about, attempts: event.attempts + 1 }, `conversation event dropped: topic ${topic} does not exist`);
      options.metrics.observeDropped("missing_topic", 1);
      return { id: event.id, kind: "dropped" };
    }
    // The first failure of an event is worth a line; its retries are not.
    options.log[event.attempts === 0 ? "warn" : "debug"]({ ...about, err: error, attempts: event.attempts + 1 }, "conversation event not published yet; retrying");
    return { id: event.id, kind: "failed", retryAfterMs: retryDelayMs(event.attempts), missingTopic };
  }
}
