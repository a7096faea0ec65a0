// The hand-written peer the service is measured against: @grpc/grpc-js and a
// pg Pool running the very statement the service sends (recorded from it),
// mapping the row with the same function, with no validation, logs, metrics
// or deadlines. Prints "PORT <n>". STATEMENTS (JSON) carries the statements.
import { randomBytes } from "node:crypto";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { ConversationSchema, GetConversationRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { toConversation, type ConversationRow } from "../src/store/conversation-row.js";
import type { RecordedStatement } from "./recorded-statement.js";

const statements = JSON.parse(process.env.STATEMENTS ?? "{}") as Record<"get" | "create", RecordedStatement>;
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 20) });
pool.on("error", () => undefined);
const bytes = (value: Buffer) => value;
const encode = (row: ConversationRow) => Buffer.from(toBinary(ConversationSchema, toConversation(row, row)));
const fail = (callback: grpc.sendUnaryData<Buffer>) => (error: Error) => callback({ code: grpc.status.INTERNAL, details: error.message });

const server = new grpc.Server();
server.register(
  "/google.cloud.dialogflow.v2.Conversations/GetConversation",
  (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    const [, project, , location, , id] = fromBinary(GetConversationRequestSchema, call.request).name.split("/");
    const values = [...statements.get.values.slice(0, 2), project, location, id];
    pool.query<ConversationRow>({ name: statements.get.name, text: statements.get.text, values }).then((result) => {
      const row = result.rows[0];
      if (row === undefined) callback({ code: grpc.status.NOT_FOUND, details: "not found" });
      else callback(null, encode(row));
    }, fail(callback));
  },
  bytes,
  bytes,
  "unary",
);
server.register(
  "/google.cloud.dialogflow.v2.Conversations/CreateConversation",
  (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    const values = [...statements.create.values];
    values[3] = `c${randomBytes(16).toString("base64url")}`;
    pool.query<ConversationRow>({ name: statements.create.name, text: statements.create.text, values }).then(
      (result) => callback(null, encode(result.rows[0] as ConversationRow)),
      fail(callback),
    );
  },
  bytes,
  bytes,
  "unary",
);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(`PORT ${port}`);
});
