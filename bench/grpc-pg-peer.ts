// The hand-written peer the service is measured against: @grpc/grpc-js and a
// pg Pool running the very statement the service sends (recorded from it),
// mapping the row with the same function, with no validation, logs, metrics
// or deadlines. AnalyzeContent is the exception: it runs the INSERT a
// hand-written server would write (ANALYZE_CONTENT below), as the service's
// statement also decides request_id repeats and each refusal apart.
// PEER=primary-key makes it what a user writes by hand instead: Get selects
// the seed's fields by primary key and Create inserts them
// (primary-key-statements.ts).
// Prints "PORT <n>". STATEMENTS (JSON) carries the statements.
import { randomBytes } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { ConversationSchema, GetConversationRequestSchema, ListMessagesRequestSchema, ListMessagesResponseSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { AnalyzeContentRequestSchema, AnalyzeContentResponseSchema } from "../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { encodePageToken } from "../src/domain/page-token.js";
import { toConversation, type ConversationRow } from "../src/store/conversation-row.js";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "../src/store/message-row.js";
import { conversationOfFields, PRIMARY_KEY_CREATE, PRIMARY_KEY_GET, type KeyedRow } from "./primary-key-statements.js";
import type { RecordedStatement } from "./recorded-statement.js";

const statements = JSON.parse(process.env.STATEMENTS ?? "{}") as Record<"get" | "create" | "messages", RecordedStatement>;

// A text turn as a hand-written server stores it: one INSERT that checks what
// such a server would check (the conversation exists and has no end_time, the
// participant belongs to it), takes the participant's role and the profile's
// language from those rows, and returns the message. No time-to-live, purge
// window or request_id; a refused turn is one NOT_FOUND whatever the reason.
// $1 project, $2 location, $3 conversation, $4 participant, $5 message ID, $6 text, $7 language.
const ANALYZE_CONTENT = {
  name: "peer_analyze_content",
  text: `INSERT INTO messages (project, location, conversation_id, create_time, id, participant_id, participant_role, content, language_code)
SELECT p.project, p.location, p.conversation_id, now(), $5, p.id, p.role, $6, COALESCE(NULLIF($7, ''), c.initial_profile ->> 'languageCode', '')
FROM conversations c JOIN participants p ON p.project = c.project AND p.location = c.location AND p.conversation_id = c.id
WHERE c.project = $1 AND c.location = $2 AND c.id = $3 AND p.id = $4 AND c.end_time IS NULL
RETURNING ${MESSAGE_COLUMNS}`,
};
const PRIMARY_KEY = process.env.PEER === "primary-key";
const PAGE_SIZE = 100;
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 20) });
pool.on("error", () => undefined);
const bytes = (value: Buffer) => value;
const encode = (row: ConversationRow) => Buffer.from(toBinary(ConversationSchema, toConversation(row, row)));
const encodeFields = (row: KeyedRow) => Buffer.from(toBinary(ConversationSchema, conversationOfFields(row)));
const fail = (callback: grpc.sendUnaryData<Buffer>) => (error: Error) => callback({ code: grpc.status.INTERNAL, details: error.message });

const server = new grpc.Server();
server.register(
  "/google.cloud.dialogflow.v2.Conversations/GetConversation",
  (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    const [, project, , location, , id] = fromBinary(GetConversationRequestSchema, call.request).name.split("/");
    if (PRIMARY_KEY) {
      pool.query<KeyedRow>({ ...PRIMARY_KEY_GET, values: [project, location, id] }).then((result) => {
        const row = result.rows[0];
        if (row === undefined) callback({ code: grpc.status.NOT_FOUND, details: "not found" });
        else callback(null, encodeFields(row));
      }, fail(callback));
      return;
    }
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
    const fresh = `c${randomBytes(16).toString("base64url")}`;
    if (PRIMARY_KEY) {
      // The service's CREATE takes $2 project, $3 stored location, $5 profile ID and $6 its name.
      const [, project, location, , profileId, profileName] = statements.create.values;
      const values = [project, location, fresh, profileName, profileId];
      pool.query<KeyedRow>({ ...PRIMARY_KEY_CREATE, values }).then((result) => callback(null, encodeFields(result.rows[0] as KeyedRow)), fail(callback));
      return;
    }
    const values = [...statements.create.values];
    values[3] = fresh;
    pool.query<ConversationRow>({ name: statements.create.name, text: statements.create.text, values }).then(
      (result) => callback(null, encode(result.rows[0] as ConversationRow)),
      fail(callback),
    );
  },
  bytes,
  bytes,
  "unary",
);
server.register(
  "/google.cloud.dialogflow.v2.Participants/AnalyzeContent",
  (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    const request = fromBinary(AnalyzeContentRequestSchema, call.request);
    const [, project = "", , location = "", , conversationId = "", , participantId] = request.participant.split("/");
    const text = request.input.case === "textInput" ? request.input.value : undefined;
    const values = [project, location, conversationId, participantId, `m${randomBytes(16).toString("base64url")}`, text?.text ?? "", text?.languageCode ?? ""];
    pool.query<MessageRow>({ ...ANALYZE_CONTENT, values }).then((result) => {
      const row = result.rows[0];
      if (row === undefined) return callback({ code: grpc.status.NOT_FOUND, details: "no such conversation in progress or participant" });
      const message = toMessage(row, { project, location, id: conversationId });
      callback(null, Buffer.from(toBinary(AnalyzeContentResponseSchema, create(AnalyzeContentResponseSchema, { message }))));
    }, fail(callback));
  },
  bytes,
  bytes,
  "unary",
);
server.register(
  "/google.cloud.dialogflow.v2.Conversations/ListMessages",
  (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    const parent = fromBinary(ListMessagesRequestSchema, call.request).parent;
    const [, project = "", , location = "", , id = ""] = parent.split("/");
    const values = [...statements.messages.values.slice(0, 2), project, location, id, PAGE_SIZE + 1];
    pool.query<MessageRow>({ name: statements.messages.name, text: statements.messages.text, values }).then((result) => {
      const rows = result.rows.filter((row) => row.id !== null);
      const page = rows.slice(0, PAGE_SIZE);
      const last = page[page.length - 1];
      const response = create(ListMessagesResponseSchema, {
        messages: page.map((row) => toMessage(row, { project, location, id })),
        nextPageToken: rows.length > PAGE_SIZE && last !== undefined ? encodePageToken({ micros: last.create_micros, id: last.id }, parent, "peer") : "",
      });
      callback(null, Buffer.from(toBinary(ListMessagesResponseSchema, response)));
    }, fail(callback));
  },
  bytes,
  bytes,
  "unary",
);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(`PORT ${port}`);
});
// An exit of its own on SIGTERM, so that node --cpu-prof writes the profile.
process.on("SIGTERM", () => process.exit(0));
