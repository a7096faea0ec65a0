import { ConversationProfileSchema, type ConversationProfile } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import type { DetailContent } from "./detail-panel.js";
import { countText, resourceId } from "./display.js";
import type { ProfileUsage } from "./profile-usage.js";

// The open profile's panel: how many conversations use it and the numbers
// they hold, above its fields, and what can be done with it.

export interface ProfileDetailActions {
  createConversation(profile: ConversationProfile): void;
  edit(profile: ConversationProfile): void;
  remove(profile: ConversationProfile): void;
}

export function profileDetail(profile: ConversationProfile, usage: ProfileUsage, actions: ProfileDetailActions): DetailContent<typeof ConversationProfileSchema> {
  return {
    heading: profile.displayName || `Profile ${resourceId(profile.name)}`,
    schema: ConversationProfileSchema,
    message: profile,
    facts: [
      { id: "fact-conversations", label: "Conversations", value: countText(usage.count, usage.hasMore) },
      { id: "fact-numbers", label: "Numbers in use", value: usage.numbersInUse.length === 0 ? "none" : usage.numbersInUse.join(", ") },
    ],
    actions: [
      { label: "New conversation on this profile", id: "create-on-profile", run: () => actions.createConversation(profile) },
      { label: "Edit", id: "edit-profile", run: () => actions.edit(profile) },
      { label: "Delete", id: "delete-profile", run: () => actions.remove(profile) },
    ],
  };
}
