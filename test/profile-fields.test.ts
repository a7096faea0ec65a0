import { describe, expect, it } from "vitest";
import {
  checkAgent,
  checkDisplayName,
  checkLanguageCode,
  checkProfileFields,
  checkTimeZone,
} from "../src/domain/profile-fields.js";
import { resolveUpdateMask, touches } from "../src/domain/field-mask.js";
import { ConversationProfileSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { InvalidFieldError } from "../src/domain/errors.js";

describe("profile field rules", () => {
  it.each([
    "projects/p/agent",
    "projects/p/locations/global/agent",
    "projects/example.com:p/agent",
    "projects/p/agent/environments/-",
    "projects/p/agent/environments/production",
    "projects/p/locations/us-central1/agent/environments/-",
    "projects/p/locations/europe-west1/agent/environments/staging_2",
    "projects/p/locations/global/agents/6a1b2c3d-0000-4e5f-8a9b-0123456789ab",
    "projects/p/locations/us-central1/agents/6a1b2c3d-0000-4e5f-8a9b-0123456789ab/environments/1f2e3d4c-aaaa-bbbb-cccc-ddddeeeeffff",
    "",
  ])("accepts the agent %j", (agent) => {
    expect(checkAgent(agent, "f")).toBe(agent);
  });

  it.each([
    "agent",
    "projects/p",
    "projects/p/agents/1",
    "projects/P/agent",
    "projects/p/locations/l/agent/x",
    "projects/p/agent/environments/",
    "projects/p/agent/environments/a/b",
    "projects/p/locations/l/agents/-",
    "projects/p/locations/l/agents/a/environments/-",
    "projects/p/locations/l/agents",
    "projects/p/locations/l/agents/a/flows/f",
    "projects/p/agent/sessions/s",
    " projects/p/agent",
  ])(
    "refuses the agent %j",
    (agent) => {
      expect(() => checkAgent(agent, "f")).toThrow(/^f: .*projects\/\{project\}\/locations\/\{location\}\/agents\/\{agent\}/);
    },
  );

  it.each(["en", "en-US", "pt-BR", "zh-Hant-TW", ""])("accepts the language %j", (code) => {
    expect(checkLanguageCode(code, "f")).toBe(code);
  });

  it.each(["e", "english", "en_US", "en-", "12"])("refuses the language %j", (code) => {
    expect(() => checkLanguageCode(code, "f")).toThrow(/BCP-47/);
  });

  it.each(["Europe/Paris", "America/New_York", "UTC", ""])("accepts the time zone %j", (zone) => {
    expect(checkTimeZone(zone, "f")).toBe(zone);
  });

  it.each(["Mars/Olympus", "Paris", "+02:00x"])("refuses the time zone %j", (zone) => {
    expect(() => checkTimeZone(zone, "f")).toThrow(/IANA/);
  });

  it("requires a display name of at most 1024 characters", () => {
    expect(checkDisplayName("x".repeat(1024), "f")).toHaveLength(1024);
    expect(() => checkDisplayName("", "f")).toThrow(/required/);
    expect(() => checkDisplayName(" \t", "f")).toThrow(/required/);
    expect(() => checkDisplayName("x".repeat(1025), "f")).toThrow(/1024/);
  });
});

describe("resolveUpdateMask on ConversationProfile", () => {
  const resolve = (paths: string[]) => resolveUpdateMask(ConversationProfileSchema, paths, { field: "update_mask", identifiers: ["name"] });

  it("accepts any field Google defines, in snake_case or camelCase, and gives the JSON paths", () => {
    const mask = resolve([
      "display_name",
      "languageCode",
      "automated_agent_config.session_ttl",
      "human_agent_assistant_config.notification_config.topic",
      "sttConfig.speechModelVariant",
      "new_message_event_notification_config",
    ]);
    expect(mask.protoPaths).toEqual([
      "display_name",
      "language_code",
      "automated_agent_config.session_ttl",
      "human_agent_assistant_config.notification_config.topic",
      "stt_config.speech_model_variant",
      "new_message_event_notification_config",
    ]);
    expect(mask.jsonPaths).toEqual([
      "displayName",
      "languageCode",
      "automatedAgentConfig.sessionTtl",
      "humanAgentAssistantConfig.notificationConfig.topic",
      "sttConfig.speechModelVariant",
      "newMessageEventNotificationConfig",
    ]);
  });

  it("expands * to every settable top-level field, without the name and the output-only times", () => {
    const mask = resolve(["*"]);
    expect(mask.protoPaths).toContain("display_name");
    expect(mask.protoPaths).toContain("human_agent_assistant_config");
    expect(mask.protoPaths).toContain("tts_config");
    expect(mask.protoPaths).not.toContain("name");
    expect(mask.protoPaths).not.toContain("create_time");
    expect(mask.protoPaths).not.toContain("update_time");
    expect(mask.protoPaths.length).toBe(ConversationProfileSchema.fields.length - 3);
  });

  it("ignores output-only paths and the name (AIP-203), and repeated paths", () => {
    expect(resolve(["create_time", "update_time", "name", "display_name", "displayName"]).protoPaths).toEqual(["display_name"]);
    expect(resolve(["update_time"]).protoPaths).toEqual([]);
  });

  it("tells whether a path is written by the mask, inside it or around it", () => {
    const mask = resolve(["automated_agent_config", "stt_config.model"]);
    expect(touches(mask, "automated_agent_config.agent")).toBe(true);
    expect(touches(mask, "stt_config")).toBe(true);
    expect(touches(mask, "stt_config.model")).toBe(true);
    expect(touches(mask, "display_name")).toBe(false);
    expect(touches(mask, "stt_config.speech_model_variant")).toBe(false);
  });

  it.each([
    [[], "UPDATE_MASK_MISSING"],
    [["bogus"], "UPDATE_MASK_UNKNOWN_PATH"],
    [["display_name", "colour"], "UPDATE_MASK_UNKNOWN_PATH"],
    [["display_name.first"], "UPDATE_MASK_UNKNOWN_PATH"],
    [["automated_agent_config.session_ttl.seconds"], "UPDATE_MASK_UNKNOWN_PATH"],
    [["automated_agent_config.nope"], "UPDATE_MASK_UNKNOWN_PATH"],
    [["*.display_name"], "UPDATE_MASK_UNKNOWN_PATH"],
    [[""], "UPDATE_MASK_UNKNOWN_PATH"],
  ])("refuses the mask %j with %s", (paths, reason) => {
    let caught: unknown;
    try {
      resolve(paths);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidFieldError);
    expect((caught as InvalidFieldError).field).toBe("update_mask");
    expect((caught as InvalidFieldError).reason).toBe(reason);
  });
});

describe("checkProfileFields", () => {
  const valid = { displayName: "Support", languageCode: "en-US", timeZone: "Europe/Paris", automatedAgentConfig: { agent: "projects/p/agent" } };

  it("checks only the fields that are written", () => {
    const blank = { ...valid, displayName: " ", timeZone: "Mars/Olympus" };
    expect(() => checkProfileFields(blank, (path) => path === "language_code")).not.toThrow();
    expect(() => checkProfileFields(blank, (path) => path === "time_zone")).toThrow(/time_zone/);
    expect(() => checkProfileFields(blank, () => true)).toThrow(/display_name/);
    expect(() => checkProfileFields(valid, () => true)).not.toThrow();
  });
});
