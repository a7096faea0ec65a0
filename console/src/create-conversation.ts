import type { ConversationProfile } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import type { Conversation } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { Conversation_ConversationStage } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import type { ConsoleClients } from "./clients.js";
import { showDialog } from "./dialogs.js";
import { errorText, resourceId } from "./display.js";
import { h } from "./elements.js";

// Asks for a profile (and optionally an ID and the stage) and creates the
// conversation; the service's error is shown in the dialog until it succeeds
// or the person cancels.

export async function createConversationInteractively(
  clients: ConsoleClients,
  parent: string,
  profiles: readonly ConversationProfile[],
  chosenProfile = "",
): Promise<Conversation | undefined> {
  let values = { profile: chosenProfile || profiles[0]?.name || "", id: "", stage: "" };
  let error = "";
  for (;;) {
    const profileSelect = h("select", { id: "create-profile", name: "profile", required: true },
      ...profiles.map((profile) => h("option", { value: profile.name, selected: profile.name === values.profile }, profile.displayName ? `${profile.displayName} (${resourceId(profile.name)})` : resourceId(profile.name))),
    );
    const idInput = h("input", { id: "create-id", name: "id", value: values.id, autocomplete: "off", spellcheck: "false", "aria-describedby": "create-id-hint" });
    const stageSelect = h("select", { id: "create-stage", name: "stage" },
      h("option", { value: "", selected: values.stage === "" }, "As the profile decides"),
      h("option", { value: "HUMAN_ASSIST_STAGE", selected: values.stage === "HUMAN_ASSIST_STAGE" }, "Human assist"),
    );
    const answer = await showDialog(
      `New conversation in ${parent}`,
      [
        profiles.length === 0 && h("p", {}, "This parent has no conversation profiles yet; create one through the API first."),
        error !== "" && h("p", { class: "error", role: "alert" }, error),
        h("div", { class: "field" }, h("label", { for: "create-profile" }, "Conversation profile"), profileSelect),
        h("div", { class: "field" }, h("label", { for: "create-id" }, "Conversation ID (optional)"), idInput,
          h("small", { id: "create-id-hint" }, "3-64 letters, digits, _ or -, starting with a letter; empty lets the service choose.")),
        h("div", { class: "field" }, h("label", { for: "create-stage" }, "Stage"), stageSelect),
      ],
      [
        { label: "Cancel", value: "cancel" },
        { label: "Create", value: "create", primary: true },
      ],
    );
    if (answer !== "create") return undefined;
    values = { profile: profileSelect.value, id: idInput.value.trim(), stage: stageSelect.value };
    try {
      return await clients.conversations.createConversation({
        parent,
        conversationId: values.id,
        conversation: {
          conversationProfile: values.profile,
          conversationStage: values.stage === "HUMAN_ASSIST_STAGE" ? Conversation_ConversationStage.HUMAN_ASSIST_STAGE : Conversation_ConversationStage.CONVERSATION_STAGE_UNSPECIFIED,
        },
      });
    } catch (caught) {
      error = errorText(caught);
    }
  }
}
