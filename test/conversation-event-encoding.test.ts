import { fromBinary, fromJsonString, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ConversationEventSchema, ConversationEvent_Type } from "../src/gen/google/cloud/dialogflow/v2/conversation_event_pb.js";
import { encodeConversationEvent, toConversationEvent } from "../src/events/conversation-event.js";
import { encodeConversationEventBinary } from "../src/events/conversation-event-binary.js";
import { retryDelayMs } from "../src/events/publish-events.js";
import { PUBSUB_REQUEST_LIMITS, splitIntoPublishRequests } from "../src/events/publish-requests.js";
import { pubsubTopicName } from "../src/events/pubsub-topic.js";
import type { OutboxEvent } from "../src/store/event-outbox.js";

// The pure parts of publishing: where an event goes, how soon it is retried,
// and the bytes a subscriber receives.

describe("the Pub/Sub topic a profile names", () => {
  it("keeps projects/P/topics/T as it is", () => {
    expect(pubsubTopicName("projects/my-project/topics/events")).toBe("projects/my-project/topics/events");
  });

  it("publishes projects/P/locations/L/topics/T to projects/P/topics/T (Pub/Sub topics have no location)", () => {
    expect(pubsubTopicName("projects/my-project/locations/us-central1/topics/events")).toBe("projects/my-project/topics/events");
    expect(pubsubTopicName("projects/p/locations/global/topics/t-1")).toBe("projects/p/topics/t-1");
  });

  it.each([
    "",
    "events",
    "topics/events",
    "projects/p/topics/",
    "projects/p/topics/t/extra",
    "projects//topics/t",
    "projects/p/locations/l/topic/t",
    "projects/p/locations/topics/t",
    "//pubsub.googleapis.com/projects/p/topics/t",
  ])("names no topic for %j", (topic) => {
    expect(pubsubTopicName(topic)).toBeUndefined();
  });
});

describe("the retry delay", () => {
  it("doubles from a quarter second", () => {
    expect([0, 1, 2, 3, 4].map(retryDelayMs)).toEqual([250, 500, 1000, 2000, 4000]);
  });

  it("stops growing at half a minute, however many attempts failed", () => {
    expect(retryDelayMs(7)).toBe(30_000);
    expect(retryDelayMs(10)).toBe(30_000);
    expect(retryDelayMs(1_000_000)).toBe(30_000);
  });
});

describe("the Publish requests a topic's events go in", () => {
  const limits = { maxMessages: 3, maxBytes: 100 };
  const size = (bytes: number) => bytes;

  it("sends a batch within the limits as one request", () => {
    expect(splitIntoPublishRequests([10, 20, 30], size, limits)).toEqual([[10, 20, 30]]);
    expect(splitIntoPublishRequests([], size, limits)).toEqual([]);
  });

  it("starts a new request past the message count, keeping the order", () => {
    expect(splitIntoPublishRequests([1, 2, 3, 4, 5, 6, 7], size, limits)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("starts a new request where the next message would pass the byte limit (a request may fill it exactly)", () => {
    expect(splitIntoPublishRequests([60, 40, 1, 99, 2], size, limits)).toEqual([[60, 40], [1, 99], [2]]);
  });

  it("sends a message bigger than the byte limit alone", () => {
    expect(splitIntoPublishRequests([5, 150, 5], size, limits)).toEqual([[5], [150], [5]]);
  });

  it("keeps within Pub/Sub's own limits: 1000 messages, 10 MB with room for the request's own bytes", () => {
    expect(PUBSUB_REQUEST_LIMITS.maxMessages).toBe(1000);
    expect(PUBSUB_REQUEST_LIMITS.maxBytes).toBeLessThan(10 * 1000 * 1000);
    expect(splitIntoPublishRequests(Array.from({ length: 2500 }, () => 10), size, PUBSUB_REQUEST_LIMITS).map((request) => request.length)).toEqual([1000, 1000, 500]);
  });
});

const started: OutboxEvent = {
  id: 1,
  project: "p",
  location: "europe-west1",
  conversationId: "c-1",
  eventType: ConversationEvent_Type.CONVERSATION_STARTED,
  topic: "projects/p/topics/t",
  messageFormat: "",
  message: null,
  attempts: 0,
  missingTopicSeconds: null,
};

const newMessage: OutboxEvent = {
  ...started,
  id: 2,
  eventType: ConversationEvent_Type.NEW_MESSAGE,
  message: { id: "m-1", participant_id: "u-1", participant_role: 3, content: "Hello", language_code: "en-US", create_micros: 1_700_000_000_123_456 },
};

describe("the event a subscriber receives", () => {
  it("names the conversation in full, with its location", () => {
    const event = toConversationEvent(started);
    expect(event.conversation).toBe("projects/p/locations/europe-west1/conversations/c-1");
    expect(event.type).toBe(ConversationEvent_Type.CONVERSATION_STARTED);
    expect(event.payload.case).toBeUndefined();
  });

  it("carries the stored message as new_message_payload for NEW_MESSAGE", () => {
    const event = toConversationEvent(newMessage);
    if (event.payload.case !== "newMessagePayload") throw new Error(`payload ${event.payload.case}`);
    const message = event.payload.value;
    expect(message.name).toBe("projects/p/locations/europe-west1/conversations/c-1/messages/m-1");
    expect(message.participant).toBe("projects/p/locations/europe-west1/conversations/c-1/participants/u-1");
    expect([message.content, message.languageCode, message.participantRole]).toEqual(["Hello", "en-US", 3]);
    expect(message.createTime?.nanos).toBe(123_456_000);
  });

  it.each(["", "PROTO", "1", "MESSAGE_FORMAT_UNSPECIFIED"])("is the binary ConversationEvent for message_format %j (PROTO is the default)", (format) => {
    const event = toConversationEvent(newMessage);
    const data = encodeConversationEvent({ ...newMessage, messageFormat: format });
    expect(fromBinary(ConversationEventSchema, data)).toEqual(event);
    expect(() => JSON.parse(new TextDecoder().decode(data))).toThrow();
  });

  it.each(["JSON", "2"])("is proto3 JSON for message_format %j (by name, or by number from a bootstrap file)", (format) => {
    const event = toConversationEvent(newMessage);
    const text = new TextDecoder().decode(encodeConversationEvent({ ...newMessage, messageFormat: format }));
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(json).toMatchObject({ conversation: "projects/p/locations/europe-west1/conversations/c-1", type: "NEW_MESSAGE", newMessagePayload: { content: "Hello" } });
    expect(fromJsonString(ConversationEventSchema, text)).toEqual(event);
  });
});

describe("the binary event written from its outbox row", () => {
  // Strings of every width UTF-8 has, and the empty string (left out, as toBinary leaves it out).
  const texts = ["", "a", "Hello, I need help", "é", "日本語のテキスト", "emoji 😀 here", "x".repeat(200), "\u0000\u007f\u0080\u07ff\u0800\uffff"];
  const rows: OutboxEvent[] = [];
  for (const [index, text] of texts.entries()) {
    const base = { ...started, id: index, project: `project-${text.length}`, location: index % 2 === 0 ? "global" : "us-central1", conversationId: `c-${index}` };
    for (const eventType of [1, 2, 3, 4, 5, 0, 200]) rows.push({ ...base, eventType });
    for (const role of [0, 1, 2, 3]) {
      for (const micros of [0, 1, 999_999, 1_000_000, 1_700_000_000_123_456, 4_102_444_800_000_000]) {
        rows.push({
          ...base,
          eventType: ConversationEvent_Type.NEW_MESSAGE,
          message: { id: `m-${index}`, participant_id: role === 2 && index % 3 === 0 ? "" : `p-${role}`, participant_role: role, content: text, language_code: texts[(index + 1) % texts.length]!, create_micros: micros },
        });
      }
    }
  }

  it(`is toBinary's bytes, for ${rows.length} rows of every event type, role, width of text and time`, () => {
    for (const row of rows) {
      const reference = toBinary(ConversationEventSchema, toConversationEvent(row));
      expect(Buffer.from(encodeConversationEventBinary(row)!).equals(Buffer.from(reference)), JSON.stringify(row)).toBe(true);
    }
  });

  it("leaves to toBinary what it does not write: a time before 1970, a negative or out-of-range number", () => {
    const message = newMessage.message as Record<string, unknown>;
    expect(encodeConversationEventBinary({ ...newMessage, message: { ...message, create_micros: -1 } })).toBeUndefined();
    expect(encodeConversationEventBinary({ ...newMessage, message: { ...message, participant_role: -1 } })).toBeUndefined();
    expect(encodeConversationEventBinary({ ...started, eventType: -3 })).toBeUndefined();
    expect(encodeConversationEventBinary({ ...started, eventType: 2 ** 60 })).toBeUndefined();
    // And the event a subscriber gets for such a row is still the message's binary form.
    const early = { ...newMessage, message: { ...message, create_micros: -1_500_000 } };
    expect(Buffer.from(encodeConversationEvent(early)).equals(Buffer.from(toBinary(ConversationEventSchema, toConversationEvent(early))))).toBe(true);
  });
});
