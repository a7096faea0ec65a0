import type { ConversationProfile } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import type { ConsoleClients } from "./clients.js";
import { confirmAction, showDialog } from "./dialogs.js";
import { errorText, resourceId } from "./display.js";
import { h } from "./elements.js";
import { changedProfilePaths, PROFILE_SETTINGS, profileFields, profileSettings, type ProfileSettings } from "./profile-edit.js";

// Creates a profile, or edits one (UpdateConversationProfile with a mask of
// the changed fields), from a dialog of the settings the console shows; the
// service's error stays in the dialog until it succeeds or the person cancels.
// Deletes one after a confirmation.

export async function editProfileInteractively(clients: ConsoleClients, parent: string, existing?: ConversationProfile): Promise<ConversationProfile | undefined> {
  const before = profileSettings(existing);
  let values: ProfileSettings = before;
  let error = "";
  for (;;) {
    const inputs = new Map(PROFILE_SETTINGS.map((setting) => [setting.key, h("input", {
      id: `profile-${setting.key}`,
      name: setting.key,
      value: values[setting.key],
      required: setting.key === "displayName",
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": `profile-${setting.key}-hint`,
    })]));
    const answer = await showDialog(
      existing === undefined ? `New profile in ${parent}` : `Edit ${existing.displayName || existing.name}`,
      [
        error !== "" && h("p", { class: "error", role: "alert" }, error),
        ...PROFILE_SETTINGS.map((setting) => h("div", { class: "field" },
          h("label", { for: `profile-${setting.key}` }, setting.label),
          inputs.get(setting.key),
          h("small", { id: `profile-${setting.key}-hint` }, setting.hint),
        )),
      ],
      [
        { label: "Cancel", value: "cancel" },
        { label: existing === undefined ? "Create" : "Save", value: "save", primary: true },
      ],
    );
    if (answer !== "save") return undefined;
    const read = (key: keyof ProfileSettings) => inputs.get(key)?.value.trim() ?? "";
    values = { displayName: read("displayName"), languageCode: read("languageCode"), timeZone: read("timeZone"), agent: read("agent") };
    try {
      if (existing === undefined) return await clients.profiles.createConversationProfile({ parent, conversationProfile: profileFields(values) });
      const paths = changedProfilePaths(before, values);
      if (paths.length === 0) return existing;
      return await clients.profiles.updateConversationProfile({
        conversationProfile: { ...profileFields(values), name: existing.name },
        updateMask: { paths },
      });
    } catch (caught) {
      error = errorText(caught);
    }
  }
}

/**
 * Deletes after a confirmation: "deleted", "kept" (cancelled), or the service's refusal as it
 * gave it (FAILED_PRECONDITION while conversations or telephony numbers use the profile).
 */
export async function deleteProfileInteractively(clients: ConsoleClients, profile: ConversationProfile): Promise<string> {
  const label = profile.displayName || resourceId(profile.name);
  if (!(await confirmAction("Delete profile", `Delete profile ${label}? Conversations keep their snapshot of it.`, "Delete"))) return "kept";
  try {
    await clients.profiles.deleteConversationProfile({ name: profile.name });
    return "deleted";
  } catch (error) {
    return errorText(error);
  }
}
