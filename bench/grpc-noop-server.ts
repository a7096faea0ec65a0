// The ceiling: @grpc/grpc-js answering each benched RPC with a fixed response
// of the size the service sends (a Conversation, one Message, a page of 100
// Messages), no database, nothing else. Prints "PORT <n>".
import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { ConversationSchema, Conversation_LifecycleState, ListMessagesResponseSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { AnalyzeContentResponseSchema, MessageSchema } from "../src/gen/google/cloud/dialogflow/v2/participant_pb.js";

const CONVERSATION = "projects/bench/locations/global/conversations/seed-1";
const conversation = Buffer.from(
  toBinary(
    ConversationSchema,
    create(ConversationSchema, {
      name: CONVERSATION,
      lifecycleState: Conversation_LifecycleState.IN_PROGRESS,
      conversationProfile: "projects/bench/locations/global/conversationProfiles/p",
      conversationStage: 2,
      startTime: { seconds: 1_790_000_000n, nanos: 123_000 },
    }),
  ),
);
const message = (n: number) =>
  create(MessageSchema, {
    name: `${CONVERSATION}/messages/m${String(n).padStart(22, "0")}`,
    content: "I would like to move my booking to Friday, please.",
    languageCode: "en-US",
    participant: `${CONVERSATION}/participants/p${"0".repeat(22)}`,
    participantRole: 3,
    createTime: { seconds: 1_790_000_000n, nanos: 123_000 },
  });
const replies: Record<string, Buffer> = {
  "Conversations/GetConversation": conversation,
  "Conversations/CreateConversation": conversation,
  "Participants/AnalyzeContent": Buffer.from(toBinary(AnalyzeContentResponseSchema, create(AnalyzeContentResponseSchema, { message: message(1) }))),
  "Conversations/ListMessages": Buffer.from(
    toBinary(ListMessagesResponseSchema, create(ListMessagesResponseSchema, { messages: Array.from({ length: 100 }, (_, n) => message(n)), nextPageToken: "x".repeat(80) })),
  ),
};
const bytes = (value: Buffer) => value;
const server = new grpc.Server();
for (const [method, reply] of Object.entries(replies)) {
  server.register(`/google.cloud.dialogflow.v2.${method}`, (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, reply), bytes, bytes, "unary");
}
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(`PORT ${port}`);
});
