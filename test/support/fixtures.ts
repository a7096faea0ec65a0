import { create } from "@bufbuild/protobuf";
import type { ConversationProfile } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { ConversationSchema, type Conversation } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import type { Clients } from "./test-server.js";

/** A profile with a virtual agent (conversations start in VIRTUAL_AGENT_STAGE). */
export function createAgentProfile(clients: Clients, parent: string): Promise<ConversationProfile> {
  return clients.profiles.createConversationProfile({
    parent,
    conversationProfile: {
      displayName: "Virtual agent first",
      automatedAgentConfig: { agent: `${parent.split("/locations/")[0]}/agent` },
      languageCode: "en-US",
    },
  });
}

/** A profile without an agent (conversations start in HUMAN_ASSIST_STAGE). */
export function createHumanProfile(clients: Clients, parent: string): Promise<ConversationProfile> {
  return clients.profiles.createConversationProfile({
    parent,
    conversationProfile: { displayName: "Humans only", timeZone: "Europe/Paris" },
  });
}

export function startConversation(
  clients: Clients,
  parent: string,
  profile: ConversationProfile,
  conversationId = "",
): Promise<Conversation> {
  return clients.conversations.createConversation({
    parent,
    conversationId,
    conversation: create(ConversationSchema, { conversationProfile: profile.name }),
  });
}

/** Every conversation under a parent, following page tokens to the end. */
export async function listAll(clients: Clients, parent: string, filter = "", pageSize = 1000): Promise<Conversation[]> {
  const all: Conversation[] = [];
  let pageToken = "";
  do {
    const page = await clients.conversations.listConversations({ parent, filter, pageSize, pageToken });
    all.push(...page.conversations);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return all;
}
