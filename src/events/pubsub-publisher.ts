import type { v1 } from "@google-cloud/pubsub";

export interface PubSubPublisherOptions {
  /** host:port of a Pub/Sub emulator (PUBSUB_EMULATOR_HOST); undefined publishes to Google with Google credentials. */
  readonly emulatorHost: string | undefined;
  /**
   * How long one publish may take, retries included. It bounds how long the
   * relay holds its events locked; past it the events are retried later.
   */
  readonly timeoutMs: number;
}

export interface EventPublisher {
  /**
   * Sends `messages` to `topic` in one Publish request; resolves once Pub/Sub
   * has acknowledged them all, rejects with the client's error (then none is
   * known to be published). The caller keeps a request within Pub/Sub's limits.
   */
  publish(topic: string, messages: readonly Uint8Array[]): Promise<void>;
  close(): Promise<void>;
}

/** gRPC NOT_FOUND: Pub/Sub has no such topic. */
export function isMissingTopic(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 5;
}

/**
 * Publishes through the generated Publisher client that ships in Google's
 * Pub/Sub library, one request per call: the relay hands it a whole claimed
 * batch, so the library's per-message batcher (a promise, a timer and flow
 * control per message) would only add work. The client (google-gax and its
 * protos) loads at the first publish, so a service whose profiles name no
 * topic never pays for it at start.
 */
export function createPubSubPublisher(options: PubSubPublisherOptions): EventPublisher {
  let client: Promise<v1.PublisherClient> | undefined;
  const connect = () =>
    (client ??= import("@google-cloud/pubsub").then(async ({ PubSub, v1 }) => {
      // PubSub works out the endpoint, the emulator's insecure channel and the
      // credentials; its client configuration is meant for the v1 clients.
      const pubsub = new PubSub(options.emulatorHost === undefined ? {} : { apiEndpoint: options.emulatorHost, emulatorMode: true });
      const config = await pubsub.getClientConfig();
      // Its type allows a port spelled as a string; the emulator host's is parsed to a number already.
      return new v1.PublisherClient({ ...config, port: config.port === undefined ? undefined : Number(config.port) });
    }));
  // The Topic batcher's own call options: gax's request bundling off (the request is the batch), the time bound.
  const callOptions = { isBundling: false, timeout: options.timeoutMs };
  return {
    async publish(topic, messages) {
      const publisher = await connect();
      await publisher.publish({ topic, messages: messages.map((data) => ({ data })) }, callOptions);
    },
    async close() {
      if (client !== undefined) await (await client).close();
    },
  };
}
