import { create, fromBinary, toBinary, toJson, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { GetConversationRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  ConversationPhoneNumberSchema,
  ConversationSchema,
  Conversation_ContextReferenceSchema,
  Conversation_GeneratorContextSchema,
  Conversation_LifecycleState,
  Conversation_TelephonyConnectionInfoSchema,
  ListConversationsResponseSchema,
  type Conversation,
} from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { responseBinary } from "../src/rpc/response-binary.js";
import { responseJson } from "../src/rpc/response-json.js";
import { toConversation, type ConversationRow } from "../src/store/conversation-row.js";

// Conversations are written field by field; the bytes must be toBinary's for
// every conversation the store makes and for any other a service could answer.

// A small deterministic generator, so a failure names a case that comes back.
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(values: readonly T[]): T => values[int(values.length)] as T;
  return { next, int, pick };
}

const TEXTS = ["", "a", "seed-000123", "é ü ß 中文 🙂", "x".repeat(200), "quote\" back\\ \u0000 nul"];

function randomConversation(seed: number): MessageInitShape<typeof ConversationSchema> {
  const { int, pick, next } = generator(seed);
  return {
    name: `projects/p/locations/global/conversations/${pick(TEXTS)}`,
    lifecycleState: pick([0, 1, 2]),
    conversationProfile: pick(TEXTS),
    conversationStage: pick([0, 1, 2]),
    phoneNumber: next() < 0.3 ? { phoneNumber: pick(["", "+15551234567", "+4930123456"]), countryCode: pick([0, 1, 49, 2 ** 31 - 1]) } : undefined,
    startTime: next() < 0.9 ? { seconds: BigInt(pick([0, 1, 1_700_000_000, 253_402_300_799])), nanos: pick([0, 1, 123_456_000, 999_999_999]) } : undefined,
    endTime: next() < 0.4 ? { seconds: BigInt(int(2_000_000_000)), nanos: int(1_000_000_000) } : undefined,
    initialConversationProfile:
      next() < 0.7
        ? {
            name: pick(TEXTS),
            displayName: pick(TEXTS),
            languageCode: pick(["", "en-US", "de"]),
            humanAgentAssistantConfig: next() < 0.5 ? { notificationConfig: { topic: "projects/p/topics/t", messageFormat: 1 } } : undefined,
            newMessageEventNotificationConfig: next() < 0.3 ? { topic: pick(TEXTS) } : undefined,
          }
        : undefined,
  };
}

function expectToBinarysBytes(conversation: Conversation): void {
  const ours = responseBinary(ConversationSchema, conversation);
  expect(Buffer.from(ours).toString("hex")).toBe(Buffer.from(toBinary(ConversationSchema, conversation)).toString("hex"));
  expect(fromBinary(ConversationSchema, ours)).toEqual(fromBinary(ConversationSchema, toBinary(ConversationSchema, conversation)));
}

function storedRow(seed: number): ConversationRow {
  const { int, pick, next } = generator(seed);
  const start = 1_700_000_000_000_000 + int(10 ** 12);
  return {
    project: "p",
    location: "global",
    id: `c-${seed}`,
    conversation_profile: `projects/p/locations/global/conversationProfiles/${pick(["a", "b"])}`,
    conversation_stage: pick([1, 2]),
    phone_number: next() < 0.3 ? "+15551234567" : null,
    start_micros: start,
    end_micros: next() < 0.5 ? start + int(10 ** 9) : null,
    initial_profile: next() < 0.8 ? JSON.stringify({ displayName: pick(["Support", "Sales"]), languageCode: "en-US", createTime: "2026-01-02T03:04:05.678901Z" }) : null,
    context_references: {},
  };
}

describe("a Conversation's bytes", () => {
  it("are toBinary's for 2 000 generated conversations", () => {
    for (let seed = 1; seed <= 2000; seed++) expectToBinarysBytes(create(ConversationSchema, randomConversation(seed)));
  });

  it("are toBinary's for conversations as the store makes them, their shared snapshot encoded once", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const conversation = toConversation(storedRow(seed), { project: "p", location: "global" });
      expectToBinarysBytes(conversation);
      // Twice: the second time from the kept bytes of the snapshot.
      expectToBinarysBytes(conversation);
    }
  });

  it("are toBinary's for what is not written field by field", () => {
    const base = randomConversation(7);
    const unknown = create(ConversationSchema, base);
    unknown.$unknown = [{ no: 99, wireType: 2, data: new Uint8Array([3, 1, 2, 3]) }];
    const variant = (change: (conversation: Conversation) => void) => {
      const conversation = create(ConversationSchema, base);
      change(conversation);
      return conversation;
    };
    const cases: Conversation[] = [
      variant((c) => (c.lifecycleState = -1 as Conversation_LifecycleState)),
      variant((c) => (c.conversationStage = 2 ** 31 - 1)),
      variant((c) => (c.startTime = create(TimestampSchema, { seconds: -62_135_596_800n }))),
      variant((c) => (c.phoneNumber = create(ConversationPhoneNumberSchema, { phoneNumber: "+1", countryCode: -5 }))),
      variant((c) => (c.telephonyConnectionInfo = create(Conversation_TelephonyConnectionInfoSchema, { dialedNumber: "+15550000000" }))),
      variant((c) => (c.ingestedContextReferences = { k: create(Conversation_ContextReferenceSchema, { createTime: { seconds: 5n } }) })),
      variant((c) => (c.initialGeneratorContexts = { g: create(Conversation_GeneratorContextSchema, { generatorType: 1 }) })),
      unknown,
    ];
    for (const conversation of cases) expectToBinarysBytes(conversation);
  });

  it("is unchanged for a message that is not a Conversation", () => {
    const request = create(GetConversationRequestSchema, { name: "projects/p/conversations/c" });
    expect(responseBinary(GetConversationRequestSchema, request)).toEqual(toBinary(GetConversationRequestSchema, request));
  });
});

describe("a page of conversations' bytes", () => {
  it("are toBinary's, with conversations written either way and a page token or none", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { int, pick } = generator(seed);
      const conversations = Array.from({ length: int(6) }, (_, index) => {
        const conversation = create(ConversationSchema, randomConversation(seed * 10 + index));
        if (index === 2) conversation.lifecycleState = -3 as Conversation_LifecycleState;
        return conversation;
      });
      const page = create(ListConversationsResponseSchema, { conversations, nextPageToken: pick(TEXTS) });
      const ours = responseBinary(ListConversationsResponseSchema, page);
      expect(Buffer.from(ours).toString("hex")).toBe(Buffer.from(toBinary(ListConversationsResponseSchema, page)).toString("hex"));
    }
  });

  it("are toBinary's for a page with unknown fields", () => {
    const page = create(ListConversationsResponseSchema, { conversations: [create(ConversationSchema, randomConversation(3))] });
    page.$unknown = [{ no: 50, wireType: 0, data: new Uint8Array([150, 1]) }];
    expect(responseBinary(ListConversationsResponseSchema, page)).toEqual(toBinary(ListConversationsResponseSchema, page));
  });
});

describe("a response's JSON", () => {
  const sameText = <Desc extends Parameters<typeof toJson>[0]>(schema: Desc, message: Parameters<typeof toJson<Desc>>[1]) => {
    for (const enumAsInteger of [false, true]) {
      expect(JSON.stringify(responseJson(schema, message, { enumAsInteger }))).toBe(JSON.stringify(toJson(schema, message, { enumAsInteger })));
    }
  };

  it("is toJson's, key for key, for conversations as the store makes them and for any other", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const stored = toConversation(storedRow(seed), { project: "p", location: "global" });
      sameText(ConversationSchema, stored);
      // Twice: the second time from the kept JSON of the snapshot.
      sameText(ConversationSchema, stored);
      sameText(ConversationSchema, create(ConversationSchema, randomConversation(seed)));
    }
  });

  it("keeps toJson's order around a shared snapshot when the maps after it are set", () => {
    const stored = toConversation(storedRow(4), { project: "p", location: "global" });
    const withMaps = create(ConversationSchema, {
      ...stored,
      ingestedContextReferences: { k: create(Conversation_ContextReferenceSchema, { languageCode: "de" }) },
      initialGeneratorContexts: { g: create(Conversation_GeneratorContextSchema, { generatorType: 1 }) },
    });
    expect(Object.isFrozen(withMaps.initialConversationProfile)).toBe(true);
    sameText(ConversationSchema, withMaps);
  });

  it("is toJson's for pages, empty or not, with a page token or none", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const { int, pick } = generator(seed);
      const conversations = Array.from({ length: int(4) }, (_, index) => toConversation(storedRow(seed * 10 + index), { project: "p", location: "global" }));
      sameText(ListConversationsResponseSchema, create(ListConversationsResponseSchema, { conversations, nextPageToken: pick(TEXTS) }));
    }
  });

  it("is unchanged for a message that is not a conversation", () => {
    sameText(GetConversationRequestSchema, create(GetConversationRequestSchema, { name: "projects/p/conversations/c" }));
  });
});
