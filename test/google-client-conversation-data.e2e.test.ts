import type { protos } from "@google-cloud/dialogflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/test-server.js";
import {
  EXPECTED_CODES,
  GOOGLE_CLIENT_MODES,
  createGoogleClients,
  errorInfoOf,
  googleFailureOf,
  type GoogleClientMode,
  type GoogleClients,
} from "./support/google-client.js";

// The storage-only RPCs of the v2 Conversations service (IngestContextReferences,
// ListMessages) and the model-backed ones, which answer UNIMPLEMENTED saying
// why, through Google's client.

const timeOf = (timestamp: { seconds?: unknown; nanos?: unknown } | null | undefined) =>
  Number(timestamp?.seconds ?? 0) * 1000 + Number(timestamp?.nanos ?? 0) / 1e6;

describe.each(Object.keys(GOOGLE_CLIENT_MODES) as GoogleClientMode[])("Conversation data through Google's client over %s", (mode) => {
  // IngestContextReferences has a REST binding for the located form only.
  const parent = `projects/data-${mode === "gRPC" ? "grpc" : "rest"}/locations/global`;
  let test: TestServer;
  let clients: GoogleClients;
  let profile: string;

  beforeAll(async () => {
    test = await startTestServer();
    clients = createGoogleClients(mode, test.server.port);
    const [created] = await clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: "Data" } });
    profile = created.name ?? "";
  });
  afterAll(async () => {
    await clients.close();
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  async function startConversation(): Promise<string> {
    const [conversation] = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile } });
    return conversation.name ?? "";
  }

  describe("IngestContextReferences", () => {
    it("stores references, appends and overwrites as documented, and shows them on the conversation", async () => {
      const conversation = await startConversation();
      const [first] = await clients.conversations.ingestContextReferences({
        conversation,
        contextReferences: {
          crm: { updateMode: "APPEND", languageCode: "en-US", contextContents: [{ content: '{"tier":"gold"}', contentFormat: "JSON" }] },
          notes: { updateMode: "OVERWRITE", contextContents: [{ content: "first note", contentFormat: "PLAIN_TEXT" }] },
        },
      });
      const crm = first.ingestedContextReferences?.crm;
      expect(crm?.contextContents?.map((content) => content.content)).toEqual(['{"tier":"gold"}']);
      expect(crm?.languageCode).toBe("en-US");
      expect(timeOf(crm?.createTime)).toBeGreaterThan(Date.now() - 60_000);
      expect(timeOf(crm?.contextContents?.[0]?.ingestionTime)).toBe(timeOf(crm?.createTime));

      const [second] = await clients.conversations.ingestContextReferences({
        conversation,
        contextReferences: {
          crm: { updateMode: "APPEND", contextContents: [{ content: "called twice this week", contentFormat: "PLAIN_TEXT" }] },
          notes: { updateMode: "OVERWRITE", contextContents: [{ content: "second note", contentFormat: "PLAIN_TEXT" }] },
        },
      });
      const appended = second.ingestedContextReferences?.crm;
      expect(appended?.contextContents?.map((content) => content.content)).toEqual(['{"tier":"gold"}', "called twice this week"]);
      expect(appended?.languageCode).toBe("en-US");
      expect(timeOf(appended?.createTime)).toBe(timeOf(crm?.createTime));
      expect(second.ingestedContextReferences?.notes?.contextContents?.map((content) => content.content)).toEqual(["second note"]);

      const [read] = await clients.conversations.getConversation({ name: conversation });
      expect(Object.keys(read.ingestedContextReferences ?? {}).sort()).toEqual(["crm", "notes"]);
      expect(read.ingestedContextReferences?.crm?.contextContents).toHaveLength(2);
      expect(String(read.ingestedContextReferences?.notes?.updateMode)).toMatch(/^(OVERWRITE|2)$/);
    });

    it("returns only the references of the call, and leaves the others stored", async () => {
      const conversation = await startConversation();
      const ingest = (key: string) =>
        clients.conversations.ingestContextReferences({
          conversation,
          contextReferences: { [key]: { updateMode: "APPEND", contextContents: [{ content: key, contentFormat: "PLAIN_TEXT" }] } },
        });
      await ingest("one");
      const [reply] = await ingest("two");
      expect(Object.keys(reply.ingestedContextReferences ?? {})).toEqual(["two"]);
      const [read] = await clients.conversations.getConversation({ name: conversation });
      expect(Object.keys(read.ingestedContextReferences ?? {}).sort()).toEqual(["one", "two"]);
    });

    it.each([
      [{}, "CONTEXT_REFERENCES_MISSING"],
      [{ k: { contextContents: [{ content: "x", contentFormat: "PLAIN_TEXT" }] } }, "CONTEXT_UPDATE_MODE_MISSING"],
      [{ k: { updateMode: "APPEND", contextContents: [] } }, "CONTEXT_CONTENTS_MISSING"],
      [{ k: { updateMode: "APPEND", contextContents: [{ content: "x" }] } }, "CONTEXT_CONTENT_FORMAT_MISSING"],
      [{ k: { updateMode: "APPEND", contextContents: [{ content: "", contentFormat: "JSON" }] } }, "CONTEXT_CONTENT_INVALID"],
    ] as [protos.google.cloud.dialogflow.v2.IIngestContextReferencesRequest["contextReferences"], string][])(
      "refuses %j with INVALID_ARGUMENT %s, storing nothing",
      async (contextReferences, reason) => {
      const conversation = await startConversation();
      const error = await googleFailureOf(clients.conversations.ingestContextReferences({ conversation, contextReferences }));
      expect(error.code).toBe(EXPECTED_CODES[mode].invalidArgument);
      expect(errorInfoOf(error)?.reason).toBe(reason);
      const [read] = await clients.conversations.getConversation({ name: conversation });
      expect(Object.keys(read.ingestedContextReferences ?? {})).toEqual([]);
      },
    );

    it("answers NOT_FOUND for an absent conversation", async () => {
      const error = await googleFailureOf(
        clients.conversations.ingestContextReferences({
          conversation: `${parent}/conversations/nowhere`,
          contextReferences: { k: { updateMode: "APPEND", contextContents: [{ content: "x", contentFormat: "PLAIN_TEXT" }] } },
        }),
      );
      expect(error.code).toBe(EXPECTED_CODES[mode].notFound);
      expect(errorInfoOf(error)).toMatchObject({ reason: "CONVERSATION_NOT_FOUND", metadata: { resource: `${parent}/conversations/nowhere` } });
    });
  });

  describe("ListMessages", () => {
    it("lists no messages for a conversation without any, with Google's filters accepted", async () => {
      const conversation = await startConversation();
      for (const filter of ["", "create_time_epoch_microseconds > 1551790877964485", "create_time > 2017-01-15T01:30:15.01Z", 'create_time >= "2017-01-15T01:30:15Z" AND create_time_epoch_microseconds < 1851790877964485']) {
        const [messages, next] = await clients.conversations.listMessages({ parent: conversation, filter, pageSize: 10 }, { autoPaginate: false });
        expect(messages).toEqual([]);
        expect(next ?? null).toBeNull();
      }
    });

    it("answers NOT_FOUND for an absent conversation and INVALID_ARGUMENT for a filter on another field", async () => {
      const missing = await googleFailureOf(clients.conversations.listMessages({ parent: `${parent}/conversations/nowhere` }));
      expect(missing.code).toBe(EXPECTED_CODES[mode].notFound);
      const conversation = await startConversation();
      const badFilter = await googleFailureOf(clients.conversations.listMessages({ parent: conversation, filter: "participant = x" }));
      expect(badFilter.code).toBe(EXPECTED_CODES[mode].invalidArgument);
      expect(errorInfoOf(badFilter)).toMatchObject({ reason: "INVALID_FILTER", metadata: { field: "filter", filter: "participant = x" } });
      const badToken = await googleFailureOf(clients.conversations.listMessages({ parent: conversation, pageToken: "forged" }));
      expect(badToken.code).toBe(EXPECTED_CODES[mode].invalidArgument);
    });
  });

  describe("the model-backed RPCs", () => {
    const calls: [string, (clients: GoogleClients, conversation: string) => Promise<unknown>][] = [
      ["SuggestConversationSummary", (c, conversation) => c.conversations.suggestConversationSummary({ conversation })],
      ["GenerateStatelessSummary", (c) => c.conversations.generateStatelessSummary({ statelessConversation: { parent } })],
      ["GenerateStatelessSuggestion", (c) => c.conversations.generateStatelessSuggestion({ parent })],
      ["SearchKnowledge", (c, conversation) => c.conversations.searchKnowledge({ parent, conversation, query: { text: "refund" } })],
      ["GenerateSuggestions", (c, conversation) => c.conversations.generateSuggestions({ conversation })],
    ];

    it.each(calls)("%s answers UNIMPLEMENTED saying a language model is needed", async (method, call) => {
      const conversation = await startConversation();
      const error = await googleFailureOf(call(clients, conversation));
      expect(error.code).toBe(EXPECTED_CODES[mode].unimplemented);
      expect(errorInfoOf(error)).toMatchObject({ reason: "LANGUAGE_MODEL_REQUIRED", domain: "dialogflow.googleapis.com", metadata: { method } });
      expect(error.message).toMatch(/language model/);
    });

    it("SetSuggestionFeatureConfig answers UNIMPLEMENTED pointing to UpdateConversationProfile", async () => {
      const error = await googleFailureOf(
        clients.profiles.setSuggestionFeatureConfig({ conversationProfile: profile, participantRole: "HUMAN_AGENT", suggestionFeatureConfig: {} }),
      );
      expect(error.code).toBe(EXPECTED_CODES[mode].unimplemented);
      expect(errorInfoOf(error)).toMatchObject({ reason: "LONG_RUNNING_OPERATIONS_UNSUPPORTED", metadata: { method: "SetSuggestionFeatureConfig" } });
      expect(error.message).toMatch(/UpdateConversationProfile/);
    });
  });
});
