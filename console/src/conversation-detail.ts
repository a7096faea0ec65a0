import { toJsonString } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ConversationProfile } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { ConversationSchema, Conversation_LifecycleState, type Conversation } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { copyText } from "./copy-text.js";
import type { DetailContent } from "./detail-panel.js";
import { showText } from "./dialogs.js";
import { durationText, resourceId } from "./display.js";

// What the open conversation's panel shows above its fields: the profile by
// its display name, how long the conversation lasted (or has lasted so far),
// and its actions, Copy as JSON among them.

export interface ConversationDetailActions {
  complete(name: string): void;
  /** Says what happened in the panel's status line. */
  status(text: string): void;
}

export function conversationDetail(
  conversation: Conversation,
  profiles: readonly ConversationProfile[],
  actions: ConversationDetailActions,
  extra: Node,
  now: Date = new Date(),
): DetailContent<typeof ConversationSchema> {
  const running = conversation.lifecycleState === Conversation_LifecycleState.IN_PROGRESS;
  return {
    heading: `Conversation ${resourceId(conversation.name)}`,
    schema: ConversationSchema,
    message: conversation,
    facts: [
      { id: "fact-profile", label: "Profile", value: profileLabel(conversation, profiles) },
      { id: "fact-duration", label: "Duration", value: durationLabel(conversation, running, now) },
    ],
    actions: [
      { label: "Copy as JSON", id: "copy-json", run: () => void copyConversation(conversation, actions) },
      { label: "Complete", id: "complete-conversation", primary: true, disabled: !running, run: () => actions.complete(conversation.name) },
    ],
    grouping: { inSummary: ["phoneNumber"], labels: { initialConversationProfile: "Profile snapshot", ingestedContextReferences: "Context references" } },
    extra,
  };
}

/** "Support (4f2c…)": the profile's display name now, else as it was when the conversation started. */
function profileLabel(conversation: Conversation, profiles: readonly ConversationProfile[]): string {
  const id = resourceId(conversation.conversationProfile);
  const displayName = profiles.find((profile) => profile.name === conversation.conversationProfile)?.displayName || conversation.initialConversationProfile?.displayName || "";
  return displayName === "" ? id : `${displayName} (${id})`;
}

function durationLabel(conversation: Conversation, running: boolean, now: Date): string {
  if (conversation.startTime === undefined) return "—";
  const start = timestampDate(conversation.startTime).getTime();
  const end = running || conversation.endTime === undefined ? now.getTime() : timestampDate(conversation.endTime).getTime();
  return running ? `${durationText(end - start)} so far` : durationText(end - start);
}

async function copyConversation(conversation: Conversation, actions: ConversationDetailActions): Promise<void> {
  const json = toJsonString(ConversationSchema, conversation, { prettySpaces: 2 });
  if ((await copyText(json)) === "copied") actions.status("Copied the conversation as JSON.");
  else await showText("Conversation as JSON", "The browser refused to copy: select the text and copy it yourself.", json);
}
