import type { PubSub, Topic } from "@google-cloud/pubsub";

export interface PubSubPublisherOptions {
  /** host:port of a Pub/Sub emulator (PUBSUB_EMULATOR_HOST); undefined publishes to Google with Google credentials. */
  readonly emulatorHost: string | undefined;
  /**
   * How long one publish may take, retries included. It bounds how long the
   * relay holds its events locked; past it the event is retried later.
   */
  readonly timeoutMs: number;
}

export interface EventPublisher {
  /** Resolves once Pub/Sub has acknowledged the message; rejects with the client's error. */
  publish(topic: string, data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** gRPC NOT_FOUND: Pub/Sub has no such topic. */
export function isMissingTopic(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 5;
}

/**
 * Publishes through Google's client, one Topic (and batcher) per topic name.
 * The client (google-gax and its protos) loads at the first publish, so a
 * service whose profiles name no topic never pays for it at start.
 */
export function createPubSubPublisher(options: PubSubPublisherOptions): EventPublisher {
  let client: Promise<PubSub> | undefined;
  const connect = () =>
    (client ??= import("@google-cloud/pubsub").then(
      ({ PubSub }) => new PubSub(options.emulatorHost === undefined ? {} : { apiEndpoint: options.emulatorHost, emulatorMode: true }),
    ));
  const topics = new Map<string, Topic>();
  const topicOf = async (name: string): Promise<Topic> => {
    const pubsub = await connect();
    let topic = topics.get(name);
    if (topic === undefined) {
      // Events leave as soon as they are claimed; a short batching window still
      // sends one relay batch's messages for a topic in one request.
      topic = pubsub.topic(name, { batching: { maxMilliseconds: 5 }, gaxOpts: { timeout: options.timeoutMs } });
      topics.set(name, topic);
    }
    return topic;
  };
  return {
    async publish(topic, data) {
      await (await topicOf(topic)).publishMessage({ data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
    },
    async close() {
      if (client !== undefined) await (await client).close();
    },
  };
}
