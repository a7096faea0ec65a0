// The ceiling: @grpc/grpc-js answering GetConversation and CreateConversation
// with a fixed Conversation, no database, nothing else. Prints "PORT <n>".
import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { ConversationSchema, Conversation_LifecycleState } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";

const reply = Buffer.from(
  toBinary(
    ConversationSchema,
    create(ConversationSchema, {
      name: "projects/bench/locations/global/conversations/seed-1",
      lifecycleState: Conversation_LifecycleState.IN_PROGRESS,
      conversationProfile: "projects/bench/locations/global/conversationProfiles/p",
      conversationStage: 2,
      startTime: { seconds: 1_790_000_000n, nanos: 123_000 },
    }),
  ),
);
const bytes = (value: Buffer) => value;
const server = new grpc.Server();
for (const method of ["GetConversation", "CreateConversation"]) {
  server.register(`/google.cloud.dialogflow.v2.Conversations/${method}`, (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, reply), bytes, bytes, "unary");
}
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(`PORT ${port}`);
});
