// Runs in the browser: a Connect-Web client of the service, bundled by the test.
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { ConversationProfiles } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { Conversations, Conversation_LifecycleState } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";

export interface ScenarioResult {
  readonly protocol: string;
  readonly created: string[];
  readonly listed: string[];
  readonly completedState: string;
  readonly notFoundCode: number;
}

async function runScenario(protocol: "connect" | "grpc-web", baseUrl: string, parent: string): Promise<ScenarioResult> {
  const transport: Transport =
    protocol === "connect" ? createConnectTransport({ baseUrl }) : createGrpcWebTransport({ baseUrl });
  const profiles = createClient(ConversationProfiles, transport);
  const conversations = createClient(Conversations, transport);
  const profile = await profiles.createConversationProfile({ parent, conversationProfile: { displayName: `From ${protocol}` } });
  const created: string[] = [];
  for (let i = 0; i < 3; i++) {
    const conversation = await conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
    created.push(conversation.name);
  }
  const listed = (await conversations.listConversations({ parent })).conversations.map((c) => c.name);
  const completed = await conversations.completeConversation({ name: created[0] ?? "" });
  let notFoundCode = -1;
  try {
    await conversations.getConversation({ name: `${parent}/conversations/missing` });
  } catch (error) {
    notFoundCode = (error as { code: number }).code;
  }
  return { protocol, created, listed, completedState: Conversation_LifecycleState[completed.lifecycleState], notFoundCode };
}

declare global {
  interface Window {
    runScenario: typeof runScenario;
  }
}
window.runScenario = runScenario;
