import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ConversationProfile, ConversationProfileSchema } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";

// The profile settings the console shows and edits, and the update mask of an
// edit: exactly the fields whose value changed, so UpdateConversationProfile
// touches nothing else (another client's change to another field survives).

export interface ProfileSettings {
  readonly displayName: string;
  readonly languageCode: string;
  readonly timeZone: string;
  /** automated_agent_config.agent; "" for a profile without a virtual agent. */
  readonly agent: string;
}

/** Each setting with its field path in the update mask and its label in the form. */
export const PROFILE_SETTINGS: readonly { readonly key: keyof ProfileSettings; readonly path: string; readonly label: string; readonly hint: string }[] = [
  { key: "displayName", path: "display_name", label: "Display name", hint: "Required." },
  { key: "languageCode", path: "language_code", label: "Language", hint: "BCP-47, e.g. en-US; empty for the default." },
  { key: "timeZone", path: "time_zone", label: "Time zone", hint: "IANA, e.g. Europe/Paris; empty for the default." },
  { key: "agent", path: "automated_agent_config.agent", label: "Virtual agent", hint: "projects/P/agent (or a CX agent); empty for human assist only." },
];

export function profileSettings(profile: ConversationProfile | undefined): ProfileSettings {
  return {
    displayName: profile?.displayName ?? "",
    languageCode: profile?.languageCode ?? "",
    timeZone: profile?.timeZone ?? "",
    agent: profile?.automatedAgentConfig?.agent ?? "",
  };
}

/** The update mask's paths: the settings whose value differs. */
export function changedProfilePaths(before: ProfileSettings, after: ProfileSettings): string[] {
  return PROFILE_SETTINGS.filter((setting) => before[setting.key] !== after[setting.key]).map((setting) => setting.path);
}

/** The fields of a ConversationProfile init that carry these settings. */
export function profileFields(settings: ProfileSettings): MessageInitShape<typeof ConversationProfileSchema> {
  return {
    displayName: settings.displayName,
    languageCode: settings.languageCode,
    timeZone: settings.timeZone,
    ...(settings.agent === "" ? {} : { automatedAgentConfig: { agent: settings.agent } }),
  };
}
