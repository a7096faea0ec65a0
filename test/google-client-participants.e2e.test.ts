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

// The flow of Google's Agent Assist samples, through Google's own Node client:
// a profile, a conversation, an END_USER and a HUMAN_AGENT participant, one
// AnalyzeContent per utterance, CompleteConversation, then the transcript.

const ROLE = { HUMAN_AGENT: 1, END_USER: 3 } as const;
const roleOf = (role: unknown) => (typeof role === "string" ? { HUMAN_AGENT: 1, AUTOMATED_AGENT: 2, END_USER: 3 }[role] : role);

describe.each(Object.keys(GOOGLE_CLIENT_MODES) as GoogleClientMode[])("The Agent Assist flow through Google's client over %s", (mode) => {
  const project = `assist-${mode === "gRPC" ? "grpc" : "rest"}`;
  let test: TestServer;
  let clients: GoogleClients;

  beforeAll(async () => {
    test = await startTestServer();
    clients = createGoogleClients(mode, test.server.port);
  });
  afterAll(async () => {
    await clients.close();
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("runs the sample flow end to end, with the transcript newest first and an error result for each suggestion feature", async () => {
    const parent = `projects/${project}/locations/global`;
    const [profile] = await clients.profiles.createConversationProfile({
      parent,
      conversationProfile: {
        displayName: "Agent Assist",
        languageCode: "en-US",
        humanAgentAssistantConfig: {
          humanAgentSuggestionConfig: {
            featureConfigs: [
              {
                suggestionFeature: { type: "ARTICLE_SUGGESTION" },
                conversationModelConfig: { model: `${parent}/conversationModels/articles` },
              },
            ],
          },
          endUserSuggestionConfig: { featureConfigs: [{ suggestionFeature: { type: "FAQ" } }] },
        },
      },
    });
    const [conversation] = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
    expect(["HUMAN_ASSIST_STAGE", 2]).toContain(conversation.conversationStage);
    const [endUser] = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: "END_USER" } });
    const [humanAgent] = await clients.participants.createParticipant({ parent: conversation.name, participant: { role: "HUMAN_AGENT" } });
    expect(endUser.name).toMatch(new RegExp(`^${conversation.name}/participants/[A-Za-z][A-Za-z0-9_-]{2,63}$`));
    expect(roleOf(humanAgent.role)).toBe(ROLE.HUMAN_AGENT);

    const utterances: [typeof endUser, string][] = [
      [endUser, "Hi, my order never arrived."],
      [humanAgent, "Sorry to hear that, let me check."],
      [endUser, "It was order 1234."],
    ];
    const names: string[] = [];
    for (const [participant, text] of utterances) {
      const [response] = await clients.participants.analyzeContent({ participant: participant.name, textInput: { text, languageCode: "en-US" } });
      expect(response.message).toMatchObject({ content: text, languageCode: "en-US", participant: participant.name });
      expect(roleOf(response.message?.participantRole)).toBe(roleOf(participant.role));
      expect(response.replyText ?? "").toBe("");
      expect(response.automatedAgentReply ?? null).toBeNull();
      // Each configured feature reports its failure (no model) without failing the call.
      expect(response.humanAgentSuggestionResults).toHaveLength(1);
      expect(response.humanAgentSuggestionResults?.[0]?.error).toMatchObject({ code: 12 });
      expect(response.humanAgentSuggestionResults?.[0]?.error?.message).toMatch(/ARTICLE_SUGGESTION.*conversationModels\/articles/);
      expect(response.endUserSuggestionResults?.[0]?.error?.message).toMatch(/FAQ/);
      names.push(response.message?.name ?? "");
    }
    await clients.conversations.completeConversation({ name: conversation.name });

    const [transcript] = await clients.conversations.listMessages({ parent: conversation.name });
    expect(transcript.map((message) => message.name)).toEqual([...names].reverse());
    expect(transcript.map((message) => message.content)).toEqual(utterances.map(([, text]) => text).reverse());
    expect(transcript.map((message) => message.participant)).toEqual([endUser.name, humanAgent.name, endUser.name]);

    const refused = await googleFailureOf(
      clients.participants.analyzeContent({ participant: endUser.name, textInput: { text: "Still there?", languageCode: "en-US" } }),
    );
    expect(refused.code).toBe(EXPECTED_CODES[mode].failedPrecondition);
    expect(errorInfoOf(refused)?.reason).toBe("CONVERSATION_NOT_IN_PROGRESS");
    const [after] = await clients.conversations.listMessages({ parent: conversation.name });
    expect(after).toHaveLength(3);
  });

  it("gets, lists and updates participants under either name form", async () => {
    const [profile] = await clients.profiles.createConversationProfile({ parent: `projects/${project}`, conversationProfile: { displayName: "Plain" } });
    const [conversation] = await clients.conversations.createConversation({
      parent: `projects/${project}`,
      conversation: { conversationProfile: profile.name },
    });
    expect(conversation.name).toMatch(new RegExp(`^projects/${project}/conversations/`));
    const [created] = await clients.participants.createParticipant({
      parent: conversation.name,
      participant: { role: "END_USER", obfuscatedExternalUserId: "a1b2c3", documentsMetadataFilters: { market: "US,CA" } },
    });
    const located = (created.name ?? "").replace(`projects/${project}/`, `projects/${project}/locations/global/`);
    const [read] = await clients.participants.getParticipant({ name: located });
    expect(read.name).toBe(located);
    expect(read).toMatchObject({ obfuscatedExternalUserId: "a1b2c3", documentsMetadataFilters: { market: "US,CA" } });
    const [updated] = await clients.participants.updateParticipant({
      participant: { name: created.name, sipRecordingMediaLabel: "caller", obfuscatedExternalUserId: "ignored" },
      updateMask: { paths: ["sip_recording_media_label"] },
    });
    expect(updated).toMatchObject({ name: created.name, sipRecordingMediaLabel: "caller", obfuscatedExternalUserId: "a1b2c3" });
    const [listed] = await clients.participants.listParticipants({ parent: conversation.name });
    expect(listed.map((participant) => participant.name)).toEqual([created.name]);

    const missingRole = await googleFailureOf(clients.participants.createParticipant({ parent: conversation.name, participant: {} }));
    expect(missingRole.code).toBe(EXPECTED_CODES[mode].invalidArgument);
    expect(errorInfoOf(missingRole)?.metadata.field).toBe("participant.role");
    const unknown = await googleFailureOf(clients.participants.getParticipant({ name: `${conversation.name}/participants/nobody` }));
    expect(unknown.code).toBe(EXPECTED_CODES[mode].notFound);
  });

  it("answers UNIMPLEMENTED for the model-backed RPCs and for audio input, saying what is missing", async () => {
    const participant = `projects/${project}/conversations/call-1/participants/caller`;
    for (const call of [
      clients.participants.suggestArticles({ parent: participant }),
      clients.participants.suggestFaqAnswers({ parent: participant }),
      clients.participants.suggestSmartReplies({ parent: participant }),
      clients.participants.suggestKnowledgeAssist({ parent: participant }),
    ]) {
      const error = await googleFailureOf(call);
      expect(error.code).toBe(EXPECTED_CODES[mode].unimplemented);
      expect(errorInfoOf(error)?.reason).toBe("LANGUAGE_MODEL_REQUIRED");
    }
    const audio = await googleFailureOf(
      clients.participants.analyzeContent({ participant, audioInput: { config: { languageCode: "en-US" }, audio: Buffer.from("RIFF") } }),
    );
    expect(audio.code).toBe(EXPECTED_CODES[mode].unimplemented);
    expect(errorInfoOf(audio)?.reason).toBe("SPEECH_RECOGNITION_REQUIRED");
  });
});
