import { create, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ConversationProfileSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { toConversation, type ConversationRow } from "../src/store/conversation-row.js";

// The profile snapshot of a row is parsed once per distinct snapshot and shared
// by the answers that hold it; what each answer says must not change by that.

const PARENT = { project: "p", location: "global" } as const;

function row(profileName: string, snapshot: object | null): ConversationRow {
  return {
    project: "p",
    location: "global",
    id: "c1",
    conversation_profile: profileName,
    conversation_stage: 2,
    phone_number: null,
    start_micros: 1_700_000_000_123_456,
    end_micros: null,
    initial_profile: snapshot === null ? null : JSON.stringify(snapshot),
    context_references: {},
  };
}

const snapshot = (displayName: string) =>
  toJson(
    ConversationProfileSchema,
    create(ConversationProfileSchema, { displayName, languageCode: "de", humanAgentAssistantConfig: { notificationConfig: { topic: "projects/p/topics/t" } } }),
  ) as object;

describe("a conversation's profile snapshot", () => {
  it("is read from the row's JSON, named as the conversation names its profile", () => {
    const profile = toConversation(row("projects/p/locations/global/conversationProfiles/a", snapshot("First")), PARENT).initialConversationProfile;
    expect(profile?.displayName).toBe("First");
    expect(profile?.languageCode).toBe("de");
    expect(profile?.name).toBe("projects/p/locations/global/conversationProfiles/a");
    expect(profile?.humanAgentAssistantConfig?.notificationConfig?.topic).toBe("projects/p/topics/t");
  });

  it("is shared by reads of the same snapshot, and frozen so that no answer changes another's", () => {
    const first = toConversation(row("projects/p/locations/global/conversationProfiles/a", snapshot("Shared")), PARENT).initialConversationProfile;
    const second = toConversation(row("projects/p/locations/global/conversationProfiles/a", snapshot("Shared")), PARENT).initialConversationProfile;
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.humanAgentAssistantConfig?.notificationConfig)).toBe(true);
    expect(() => {
      (first as { displayName: string }).displayName = "changed";
    }).toThrow(TypeError);
  });

  it("differs when the snapshot or the profile's name does", () => {
    const updated = toConversation(row("projects/p/locations/global/conversationProfiles/a", snapshot("Updated")), PARENT).initialConversationProfile;
    const renamed = toConversation(row("projects/p/locations/global/conversationProfiles/b", snapshot("Updated")), PARENT).initialConversationProfile;
    expect(updated?.displayName).toBe("Updated");
    expect(renamed?.name).toBe("projects/p/locations/global/conversationProfiles/b");
    expect(renamed).not.toBe(updated);
  });

  it("stays right past the number of snapshots kept", () => {
    for (let i = 0; i < 600; i++) {
      const profile = toConversation(row(`projects/p/locations/global/conversationProfiles/n${i % 300}`, snapshot(`Name ${i}`)), PARENT).initialConversationProfile;
      expect(profile?.displayName).toBe(`Name ${i}`);
      expect(profile?.name).toBe(`projects/p/locations/global/conversationProfiles/n${i % 300}`);
    }
  });

  it("is absent for a row without one", () => {
    expect(toConversation(row("projects/p/locations/global/conversationProfiles/a", null), PARENT).initialConversationProfile).toBeUndefined();
  });
});
