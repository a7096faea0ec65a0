import { StoreUnavailableError } from "../domain/errors.js";
import type { Logger } from "pino";
import type { EventMetrics } from "../observability/metrics.js";
import type { Database } from "../store/database.js";
import { readBacklog, relayBatch, trimOutbox } from "../store/event-outbox.js";
import { publishEvents } from "./publish-events.js";
import type { EventPublisher } from "./pubsub-publisher.js";

export interface EventRelayOptions {
  readonly database: Database;
  readonly publisher: EventPublisher;
  /** False only keeps the outbox within its bound and measured: nothing is published. */
  readonly publish: boolean;
  readonly log: Logger;
  readonly metrics: EventMetrics;
  /** Most events kept unpublished; past it the oldest are dropped. */
  readonly outboxMax: number;
  /** How long an event for a missing topic is retried before it is dropped. */
  readonly missingTopicSeconds: number;
  /** Events claimed per transaction. */
  readonly batchSize?: number;
  /**
   * After a batch that was neither empty nor full, how long events may gather
   * before the next claim. A batch costs three statements and a Publish request
   * whatever its size, so under load events go in fewer, bigger batches; an
   * event alone still goes as soon as the relay is woken for it.
   */
  readonly gatherMs?: number;
  /** How often to look for events without being woken: retries falling due, and events of a replica that stopped before relaying them. */
  readonly pollMs?: number;
  /** How often to enforce the bound and measure the backlog. */
  readonly upkeepMs?: number;
}

export interface EventRelay {
  /** A statement of this process committed events (store/outbox-writes.ts): relay them now, or with the batch being gathered. */
  wake(): void;
  /** Stops relaying: publishes under way count as failed (retried by whoever relays next); nothing is drained. */
  stop(): Promise<void>;
}

/**
 * Relays the outbox to Pub/Sub until stopped: woken by this process's
 * statements that wrote events, and by a poll for everything else. Any number
 * of relays may share a database (see store/event-outbox.ts).
 */
export function startEventRelay(options: EventRelayOptions): EventRelay {
  const { database, log, metrics } = options;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 1000;
  const gatherMs = options.gatherMs ?? 100;
  const stopping = new AbortController();
  let woken = false;
  // Ends a pause early: `wake` when woken (or on stop), `interrupt` on stop only.
  let wake: (() => void) | undefined;
  let interrupt: (() => void) | undefined;
  const nudge = () => {
    woken = true;
    wake?.();
  };
  const pause = (ms: number, byWake: boolean) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      const end = () => {
        clearTimeout(timer);
        resolve();
      };
      if (byWake) wake = end;
      else interrupt = end;
    }).finally(() => (byWake ? (wake = undefined) : (interrupt = undefined)));

  const relay = async (): Promise<void> => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      woken = false;
      let claimed = 0;
      try {
        const outcomes = await relayBatch(database, batchSize, (events) =>
          publishEvents(events, { ...options, signal: stopping.signal }),
        );
        claimed = outcomes.length;
        failures = 0;
      } catch (error) {
        failures++;
        // A database outage is told once by the availability line; anything else is ours to tell.
        if (failures === 1) log[error instanceof StoreUnavailableError ? "debug" : "warn"]({ err: error }, "events relay: the outbox is unreachable; retrying");
      }
      if (stopping.signal.aborted || claimed === batchSize) continue;
      // A batch just settled may have let a conversation's next event through:
      // claim again, once the events being written meanwhile have gathered.
      if (claimed > 0) await pause(gatherMs, false);
      else if (!woken) await pause(failures > 0 ? Math.min(pollMs * failures, 10 * pollMs) : pollMs, true);
    }
  };
  const running = options.publish ? relay() : Promise.resolve();

  const upkeep = setInterval(() => {
    void (async () => {
      const dropped = await trimOutbox(database, options.outboxMax);
      if (dropped > 0) {
        metrics.observeDropped("outbox_full", dropped);
        log.warn({ dropped, outboxMax: options.outboxMax }, `conversation events dropped: the outbox holds at most ${options.outboxMax}`);
      }
      metrics.observeBacklog(await readBacklog(database));
    })().catch(() => {});
  }, options.upkeepMs ?? 5000);
  upkeep.unref();

  return {
    wake: nudge,
    async stop() {
      stopping.abort();
      clearInterval(upkeep);
      interrupt?.();
      nudge();
      await running;
      await options.publisher.close();
    },
  };
}
