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

// Every field Google defines on a ConversationProfile round-trips, and updates
// follow AIP-134 / AIP-203, as seen by Google's own client.

/** A profile using most of what Google's proto offers, nested and repeated fields included. */
const FULL_PROFILE: protos.google.cloud.dialogflow.v2.IConversationProfile = {
  displayName: "Everything",
  automatedAgentConfig: { agent: "projects/full/locations/global/agent/environments/draft", sessionTtl: { seconds: 600, nanos: 0 } },
  humanAgentAssistantConfig: {
    notificationConfig: { topic: "projects/full/topics/assist", messageFormat: "JSON" },
    humanAgentSuggestionConfig: {
      featureConfigs: [
        {
          suggestionFeature: { type: "ARTICLE_SUGGESTION" },
          enableEventBasedSuggestion: true,
          suggestionTriggerSettings: { noSmalltalk: true, onlyEndUser: true },
          queryConfig: {
            knowledgeBaseQuerySource: { knowledgeBases: ["projects/full/knowledgeBases/kb1"] },
            maxResults: 3,
            confidenceThreshold: 0.5,
            contextFilterSettings: { dropHandoffMessages: true, dropIvrMessages: true },
          },
        },
      ],
      groupSuggestionResponses: true,
      generators: ["projects/full/locations/global/generators/g1"],
    },
    messageAnalysisConfig: { enableEntityExtraction: true, enableSentimentAnalysis: true },
  },
  humanAgentHandoffConfig: { livePersonConfig: { accountNumber: "12345" } },
  notificationConfig: { topic: "projects/full/topics/events", messageFormat: "PROTO" },
  loggingConfig: { enableStackdriverLogging: true },
  newMessageEventNotificationConfig: { topic: "projects/full/topics/messages", messageFormat: "JSON" },
  newRecognitionResultNotificationConfig: { topic: "projects/full/topics/recognition" },
  sttConfig: { speechModelVariant: "USE_ENHANCED", model: "phone_call", sampleRateHertz: 8000, languageCode: "en-US", enableWordInfo: true, phraseSets: ["projects/full/locations/global/phraseSets/p1"] },
  languageCode: "en-US",
  sipConfig: { createConversationOnTheFly: true, allowVirtualAgentInteraction: true, copyInboundCallLegHeaders: ["X-Call-Id"] },
  timeZone: "Europe/Paris",
  securitySettings: "projects/full/locations/global/securitySettings/s1",
  ttsConfig: { speakingRate: 1.25, pitch: -2, volumeGainDb: 3, effectsProfileId: ["telephony-class-application"], voice: { name: "en-US-Standard-C", ssmlGender: "SSML_VOICE_GENDER_FEMALE" } },
};

/**
 * The profile as the two transports render it, made comparable: gRPC fills
 * every default and spells int64 as strings, REST leaves defaults out; enums
 * may come as names or numbers, and protobufjs adds a key naming the set
 * member of each oneof. Defaults and those keys are dropped, numbers made numbers.
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(normalize);
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, each]) => !(typeof each === "string" && Object.hasOwn(value, each)))
      .map(([key, each]) => [key, normalize(each)] as const)
      .filter(([, each]) => each !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  if (value === "" || value === 0 || value === false || value === null || value === "0") return undefined;
  if (typeof value === "string" && value.endsWith("_UNSPECIFIED")) return undefined;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
  return value;
}

function settable(profile: Record<string, unknown>) {
  const { name: _name, createTime: _create, updateTime: _update, ...rest } = profile;
  return normalize(rest);
}

describe.each(Object.keys(GOOGLE_CLIENT_MODES) as GoogleClientMode[])("ConversationProfile fields through Google's client over %s", (mode) => {
  const parent = `projects/full-${mode === "gRPC" ? "grpc" : "rest"}/locations/global`;
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

  async function createFull() {
    const [created] = await clients.profiles.createConversationProfile({ parent, conversationProfile: FULL_PROFILE });
    return created as Record<string, unknown> & { name: string };
  }

  async function read(name: string) {
    const [profile] = await clients.profiles.getConversationProfile({ name });
    return profile as Record<string, unknown>;
  }

  it("returns every field sent on create, and the same on get", async () => {
    const created = await createFull();
    expect(settable(created)).toEqual(normalize(FULL_PROFILE));
    expect(settable(await read(created.name))).toEqual(settable(created));
  });

  it("ignores output-only fields sent on create", async () => {
    const [created] = await clients.profiles.createConversationProfile({
      parent,
      conversationProfile: { displayName: "Times", createTime: { seconds: 1 }, updateTime: { seconds: 2 } },
    });
    expect(Number(created.createTime?.seconds)).toBeGreaterThan(1_700_000_000);
    expect(created.updateTime).toEqual(created.createTime);
  });

  it("updates a nested field path and leaves its siblings alone", async () => {
    const created = await createFull();
    const [updated] = await clients.profiles.updateConversationProfile({
      conversationProfile: { name: created.name, humanAgentAssistantConfig: { notificationConfig: { topic: "projects/full/topics/new" } } },
      updateMask: { paths: ["human_agent_assistant_config.notification_config.topic"] },
    });
    const assist = updated.humanAgentAssistantConfig;
    expect(assist?.notificationConfig?.topic).toBe("projects/full/topics/new");
    expect(String(assist?.notificationConfig?.messageFormat)).toMatch(/^(JSON|2)$/);
    expect(assist?.messageAnalysisConfig?.enableSentimentAnalysis).toBe(true);
    expect(updated.sttConfig?.model).toBe("phone_call");
    expect(settable(await read(created.name))).toEqual(settable(updated as Record<string, unknown>));
  });

  it("clears a message field named in the mask but absent from the request", async () => {
    const created = await createFull();
    const [updated] = await clients.profiles.updateConversationProfile({
      conversationProfile: { name: created.name },
      updateMask: { paths: ["tts_config", "sip_config", "logging_config.enable_stackdriver_logging"] },
    });
    expect(normalize(updated.ttsConfig)).toBeUndefined();
    expect(normalize(updated.sipConfig)).toBeUndefined();
    expect(normalize(updated.loggingConfig)).toBeUndefined();
    expect(updated.sttConfig?.sampleRateHertz).toBe(8000);
  });

  it("replaces the whole profile with *, keeping the name and the creation time", async () => {
    const created = await createFull();
    const [updated] = await clients.profiles.updateConversationProfile({
      conversationProfile: { name: created.name, displayName: "Replaced", languageCode: "fr-FR", createTime: { seconds: 5 } },
      updateMask: { paths: ["*"] },
    });
    expect(settable(updated as Record<string, unknown>)).toEqual({ displayName: "Replaced", languageCode: "fr-FR" });
    expect(updated.name).toBe(created.name);
    expect(updated.createTime).toEqual(created.createTime);
  });

  it("ignores output-only paths in the mask and changes nothing for them", async () => {
    const created = await createFull();
    const [updated] = await clients.profiles.updateConversationProfile({
      conversationProfile: { name: created.name, displayName: "Only this", createTime: { seconds: 5 }, updateTime: { seconds: 6 } },
      updateMask: { paths: ["create_time", "update_time", "display_name"] },
    });
    expect(updated.displayName).toBe("Only this");
    expect(updated.createTime).toEqual(created.createTime);
    expect(Number(updated.updateTime?.seconds)).toBeGreaterThan(1_700_000_000);
  });

  it("refuses a mask path that names no field, with a reason and the path in metadata", async () => {
    const created = await createFull();
    const error = await googleFailureOf(
      clients.profiles.updateConversationProfile({
        conversationProfile: { name: created.name, displayName: "x" },
        updateMask: { paths: ["stt_config.colour"] },
      }),
    );
    expect(error.code).toBe(EXPECTED_CODES[mode].invalidArgument);
    expect(errorInfoOf(error)).toMatchObject({ reason: "UPDATE_MASK_UNKNOWN_PATH", metadata: { field: "update_mask", path: "stt_config.colour" } });
    expect(settable(await read(created.name))).toEqual(settable(created));
  });
});
