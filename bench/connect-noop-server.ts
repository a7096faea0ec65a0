// The ceiling of the Connect and REST paths: connect-node on an HTTP/1.1
// server answering GetConversation and CreateConversation with a fixed Conversation, no database,
// nothing else. Prints "PORT <n>".
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Conversations, ConversationSchema, Conversation_LifecycleState } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";

const reply = create(ConversationSchema, {
  name: "projects/bench/locations/global/conversations/seed-1",
  lifecycleState: Conversation_LifecycleState.IN_PROGRESS,
  conversationProfile: "projects/bench/locations/global/conversationProfiles/p",
  conversationStage: 2,
  startTime: { seconds: 1_790_000_000n, nanos: 123_000 },
});
const server = createServer(connectNodeAdapter({ routes: (router) => router.service(Conversations, { getConversation: () => reply, createConversation: () => reply }) }));
server.listen(0, "127.0.0.1", () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
