import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary, fromJsonString } from "@bufbuild/protobuf";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationEventSchema, ConversationEvent_Type, type ConversationEvent } from "../src/gen/google/cloud/dialogflow/v2/conversation_event_pb.js";
import { startServer, type Server } from "../src/server.js";
import { captureLog } from "./support/captured-log.js";
import { createTestDatabase } from "./support/test-database.js";
import { pubsubEmulatorUnavailable, startPubSubEmulator, type PubSubEmulator } from "./support/pubsub-emulator.js";
import { startService } from "./support/service-process.js";
import { createClients, startTestServer, type Clients, type TestServer } from "./support/test-server.js";

// Conversation events through Google's own Pub/Sub emulator, one for the
// whole file: what a subscriber receives for each change, in each format,
// through a Pub/Sub outage, with two replicas, and across a crash.

const unavailable = pubsubEmulatorUnavailable();
const PROJECT = "events-test";
const parent = `projects/${PROJECT}/locations/global`;
let topics = 0;

describe.skipIf(unavailable !== undefined)(`conversation events on Pub/Sub${unavailable === undefined ? "" : ` (skipped: ${unavailable})`}`, () => {
  let emulator: PubSubEmulator;
  let test: TestServer;
  let clients: Clients;
  const events = (host: string) => ({ publish: true, pubsubEmulatorHost: host, outboxMax: 100_000, missingTopicSeconds: 600 });

  beforeAll(async () => {
    emulator = await startPubSubEmulator();
    test = await startTestServer({ events: events(emulator.host) });
    clients = createClients("grpc", test.baseUrl);
  }, 90_000);
  afterAll(async () => {
    await test?.stop();
    await emulator?.stop();
  });

  /** A topic with a subscription, named in the form the profile will use. */
  async function newTopic(form: "plain" | "located" = "plain"): Promise<{ name: string; subscription: string }> {
    const id = `events-${++topics}`;
    await emulator.createTopicWithSubscription(PROJECT, id);
    const name = form === "plain" ? `projects/${PROJECT}/topics/${id}` : `projects/${PROJECT}/locations/global/topics/${id}`;
    return { name, subscription: `${id}-sub` };
  }

  async function profileWith(topic: string, messageFormat: "PROTO" | "JSON" | undefined = undefined, on: Clients = clients) {
    const format = messageFormat === undefined ? 0 : messageFormat === "PROTO" ? 1 : 2;
    return on.profiles.createConversationProfile({
      parent,
      conversationProfile: {
        displayName: "Notifying",
        notificationConfig: { topic, messageFormat: format },
        newMessageEventNotificationConfig: { topic, messageFormat: format },
      },
    });
  }

  /** Pulls until `count` events arrived, then a little longer to see any extra. */
  async function receive(subscription: string, count: number, format: "PROTO" | "JSON" = "PROTO"): Promise<ConversationEvent[]> {
    const received: ConversationEvent[] = [];
    const deadline = Date.now() + 30_000;
    while (received.length < count && Date.now() < deadline) {
      for (const { data } of await emulator.pull(PROJECT, subscription)) {
        received.push(format === "JSON" ? fromJsonString(ConversationEventSchema, data.toString("utf8")) : fromBinary(ConversationEventSchema, data));
      }
      if (received.length < count) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const { data } of await emulator.pull(PROJECT, subscription)) {
      received.push(format === "JSON" ? fromJsonString(ConversationEventSchema, data.toString("utf8")) : fromBinary(ConversationEventSchema, data));
    }
    return received;
  }

  const typeOf = (event: ConversationEvent) => ConversationEvent_Type[event.type];

  it("publishes started, a new message for end user and human agent turns, and finished for every complete, in order (PROTO, located topic)", async () => {
    const topic = await newTopic("located");
    const profile = await profileWith(topic.name);
    const conversation = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
    const name = conversation.name;
    for (const [role, text] of [[3, "Hello, I need help"], [1, "Hi, how can I help?"]] as const) {
      const participant = await clients.participants.createParticipant({ parent: name, participant: { role } });
      await clients.participants.analyzeContent({ participant: participant.name, input: { case: "textInput", value: { text, languageCode: "en-US" } } });
    }
    await clients.conversations.completeConversation({ name });
    // Completing a completed conversation publishes CONVERSATION_FINISHED again, as Google documents.
    await clients.conversations.completeConversation({ name });

    const received = await receive(topic.subscription, 5);
    expect(received.map(typeOf)).toEqual(["CONVERSATION_STARTED", "NEW_MESSAGE", "NEW_MESSAGE", "CONVERSATION_FINISHED", "CONVERSATION_FINISHED"]);
    expect(received.every((event) => event.conversation === name)).toBe(true);
    const messages = received.flatMap((event) => (event.payload.case === "newMessagePayload" ? [event.payload.value] : []));
    expect(messages.map((message) => [message.content, message.participantRole])).toEqual([["Hello, I need help", 3], ["Hi, how can I help?", 1]]);
    expect(messages[0]!.name).toMatch(new RegExp(`^${name}/messages/`));
  });

  it("publishes each event as the statement that wrote it commits, not at the relay's next poll", async () => {
    // A server of its own, whose relay would find the events only long after the test's time is up, but for being woken.
    const eager = await startTestServer({ events: { ...events(emulator.host), pollMs: 600_000 } });
    try {
      const on = createClients("grpc", eager.baseUrl);
      const topic = await newTopic();
      const profile = await profileWith(topic.name, undefined, on);
      const conversation = await on.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
      const participant = await on.participants.createParticipant({ parent: conversation.name, participant: { role: 3 } });
      await on.participants.analyzeContent({ participant: participant.name, input: { case: "textInput", value: { text: "Hello", languageCode: "en-US" } } });
      await on.conversations.completeConversation({ name: conversation.name });
      const received = await receive(topic.subscription, 3);
      expect(received.map(typeOf)).toEqual(["CONVERSATION_STARTED", "NEW_MESSAGE", "CONVERSATION_FINISHED"]);
    } finally {
      await eager.stop();
    }
  }, 60_000);

  it("publishes a NEW_MESSAGE for each of many turns sent at once (stored together by one statement)", async () => {
    const topic = await newTopic();
    const profile = await profileWith(topic.name);
    const conversations = await Promise.all([0, 1].map(() => clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } })));
    const speakers = await Promise.all(conversations.map((conversation) => clients.participants.createParticipant({ parent: conversation.name, participant: { role: 3 } })));
    const texts = Array.from({ length: 12 }, (_, index) => `turn ${index}`);
    await Promise.all(
      texts.map((text, index) =>
        clients.participants.analyzeContent({ participant: speakers[index % 2]!.name, input: { case: "textInput", value: { text, languageCode: "en-US" } } }),
      ),
    );
    const received = await receive(topic.subscription, 2 + texts.length);
    const messages = received.flatMap((event) => (event.payload.case === "newMessagePayload" ? [event.payload.value.content] : []));
    expect(messages.sort()).toEqual([...texts].sort());
    // Per conversation, the events come in the transcript's order.
    for (const conversation of conversations) {
      const transcript = (await clients.conversations.listMessages({ parent: conversation.name })).messages.map((message) => message.content).reverse();
      const published = received.filter((event) => event.conversation === conversation.name && event.payload.case === "newMessagePayload");
      expect(published.map((event) => (event.payload.case === "newMessagePayload" ? event.payload.value.content : ""))).toEqual(transcript);
    }
  });

  it("publishes proto3 JSON when the profile asks for JSON (projects/P/topics/T)", async () => {
    const topic = await newTopic("plain");
    const profile = await profileWith(topic.name, "JSON");
    const conversation = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
    await clients.conversations.completeConversation({ name: conversation.name });
    const received = await receive(topic.subscription, 2, "JSON");
    expect(received.map(typeOf)).toEqual(["CONVERSATION_STARTED", "CONVERSATION_FINISHED"]);
    expect(received[0]!.conversation).toBe(conversation.name);
  });

  it("publishes nothing for a profile without topics", async () => {
    const topic = await newTopic();
    const profile = await clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: "Quiet" } });
    const conversation = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
    await clients.conversations.completeConversation({ name: conversation.name });
    expect(await receive(topic.subscription, 0)).toEqual([]);
  });

  it("publishes CONVERSATION_FINISHED when the sweep completes a conversation at its time-to-live", async () => {
    const short = await startTestServer({ events: events(emulator.host), conversationTtlSeconds: 1, sweepIntervalSeconds: 1 });
    try {
      const on = createClients("grpc", short.baseUrl);
      const topic = await newTopic();
      const profile = await profileWith(topic.name, undefined, on);
      const conversation = await on.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
      const received = await receive(topic.subscription, 2);
      expect(received.map(typeOf)).toEqual(["CONVERSATION_STARTED", "CONVERSATION_FINISHED"]);
      expect(received[1]!.conversation).toBe(conversation.name);
    } finally {
      await short.stop();
    }
  });

  it("drops an event for a topic that does not exist after EVENTS_MISSING_TOPIC_RETRY, logged and counted, and the conversation's next events go on", async () => {
    const captured = captureLog<{ msg: string; attempts?: number; eventId?: number }>();
    // A topic the emulator never created is missing; the retry is one second here.
    const short = await startTestServer({ log: captured.log, events: { ...events(emulator.host), missingTopicSeconds: 1 } });
    try {
      const on = createClients("grpc", short.baseUrl);
      const messages = await newTopic();
      const missing = `projects/${PROJECT}/topics/never-created`;
      const profile = await on.profiles.createConversationProfile({
        parent,
        conversationProfile: { displayName: "Half missing", notificationConfig: { topic: missing }, newMessageEventNotificationConfig: { topic: messages.name } },
      });
      const conversation = await on.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
      const participant = await on.participants.createParticipant({ parent: conversation.name, participant: { role: 3 } });
      await on.participants.analyzeContent({ participant: participant.name, input: { case: "textInput", value: { text: "Hello", languageCode: "en-US" } } });

      // In order per conversation: the NEW_MESSAGE waits behind CONVERSATION_STARTED until that is dropped.
      const received = await receive(messages.subscription, 1);
      expect(received.map(typeOf)).toEqual(["NEW_MESSAGE"]);
      const dropped = captured.lines.filter((line) => line.msg === "conversation event dropped: topic projects/events-test/topics/never-created does not exist");
      expect(dropped).toHaveLength(1);
      // Retried before it was given up.
      expect(dropped[0]!.attempts).toBeGreaterThan(1);
      const metrics = await (await fetch(`${short.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^events_dropped_total\{reason="missing_topic"\} 1$/m);
    } finally {
      await short.stop();
    }
  }, 30_000);

  it("with EVENTS_PUBLISH=false starts, publishes nothing, and keeps the outbox within EVENTS_OUTBOX_MAX", async () => {
    const database = await createTestDatabase();
    // The service as it ships, configured by its environment; on the embedded default it runs its own Postgres.
    const dir = await mkdtemp(join(tmpdir(), "events-off-"));
    await chmod(dir, 0o755);
    const env = { PUBSUB_EMULATOR_HOST: emulator.host, EVENTS_PUBLISH: "false", EVENTS_OUTBOX_MAX: "2", ...(database.url === undefined ? {} : { DATABASE_URL: database.url }) };
    const service = startService(["--port", "0", "--data-dir", join(dir, "data")], env);
    try {
      const on = createClients("grpc", `http://127.0.0.1:${await service.serving}`);
      const topic = await newTopic();
      const profile = await profileWith(topic.name, undefined, on);
      for (let i = 0; i < 4; i++) {
        const conversation = await on.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
        await on.conversations.completeConversation({ name: conversation.name });
      }
      // The bound is enforced every 5 s: wait for it, then for anything that might have been published.
      const deadline = Date.now() + 15_000;
      let metrics = "";
      while (Date.now() < deadline) {
        metrics = await (await fetch(`http://127.0.0.1:${await service.serving}/metrics`)).text();
        if (/^events_dropped_total\{reason="outbox_full"\} 6$/m.test(metrics)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(metrics).toMatch(/^events_dropped_total\{reason="outbox_full"\} 6$/m);
      expect(metrics).toMatch(/^events_pending 2$/m);
      expect(await receive(topic.subscription, 0)).toEqual([]);
    } finally {
      service.child.kill("SIGTERM");
      await service.exited;
      await database.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("answers calls while Pub/Sub is stopped, and publishes every event, in order per conversation, once it resumes", async () => {
    const topic = await newTopic();
    const profile = await profileWith(topic.name);
    emulator.pause();
    let created: string[];
    try {
      created = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const conversation = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
          await clients.conversations.completeConversation({ name: conversation.name });
          return conversation.name;
        }),
      );
      // Every call was answered while Pub/Sub did not answer at all.
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      emulator.resume();
    }
    const received = await receive(topic.subscription, 20);
    expect(received).toHaveLength(20);
    for (const name of created) {
      expect(received.filter((event) => event.conversation === name).map(typeOf)).toEqual(["CONVERSATION_STARTED", "CONVERSATION_FINISHED"]);
    }
  }, 60_000);

  it("publishes each event once with two replicas relaying one database", async () => {
    const replica: Server = await startServer({
      database: test.testDatabase.database,
      host: "127.0.0.1",
      port: 0,
      conversationTtlSeconds: 86_400,
      purgeAfterSeconds: 86_400 * 30,
      log: pino({ level: "silent" }),
      onInternalError: () => {},
      events: events(emulator.host),
    });
    try {
      const other = createClients("grpc", `http://127.0.0.1:${replica.port}`);
      const topic = await newTopic();
      const profile = await profileWith(topic.name);
      const names = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const on = i % 2 === 0 ? clients : other;
          const conversation = await on.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
          await on.conversations.completeConversation({ name: conversation.name });
          return conversation.name;
        }),
      );
      const received = await receive(topic.subscription, 80);
      expect(received).toHaveLength(80);
      for (const name of names) {
        expect(received.filter((event) => event.conversation === name).map(typeOf)).toEqual(["CONVERSATION_STARTED", "CONVERSATION_FINISHED"]);
      }
    } finally {
      // The replica shares the test's database, which the test server closes.
      await replica.close();
    }
  }, 60_000);

  it("publishes the events pending when the service was killed -9, after it restarts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conversation-events-"));
    await chmod(dir, 0o755);
    const env = { PUBSUB_EMULATOR_HOST: emulator.host };
    const args = ["--port", "0", "--data-dir", join(dir, "data")];
    let first = startService(args, env);
    try {
      const on = createClients("grpc", `http://127.0.0.1:${await first.serving}`);
      const topic = await newTopic();
      const profile = await profileWith(topic.name, undefined, on);
      emulator.pause();
      let names: string[];
      try {
        names = await Promise.all(
          Array.from({ length: 5 }, async () => (await on.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } })).name),
        );
        first.child.kill("SIGKILL");
        await first.exited;
      } finally {
        emulator.resume();
      }
      first = startService(args, env);
      await first.serving;
      const received = await receive(topic.subscription, 5);
      // At least once: the killed process may have handed some to Pub/Sub before it died.
      expect(new Set(received.map((event) => event.conversation))).toEqual(new Set(names));
      expect(received.every((event) => typeOf(event) === "CONVERSATION_STARTED")).toBe(true);
    } finally {
      first.child.kill("SIGTERM");
      await first.exited;
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
