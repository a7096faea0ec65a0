// What a user writes by hand for the Connect and REST paths: connect-node on an
// HTTP/1.1 server and a pg Pool, Get selecting the seed's fields by primary key
// and Create inserting them (primary-key-statements.ts), with no validation,
// logs, metrics or deadlines. Against connect-node's no-op it shows what one
// statement per call costs on this machine, whoever sends it. Prints "PORT <n>".
// STATEMENTS (JSON) carries the service's statements: Create's project, location and profile.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import pg from "pg";
import { Conversations } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { conversationOfFields, PRIMARY_KEY_CREATE, PRIMARY_KEY_GET, type KeyedRow } from "./primary-key-statements.js";
import type { RecordedStatement } from "./recorded-statement.js";

const statements = JSON.parse(process.env.STATEMENTS ?? "{}") as Record<"create", RecordedStatement>;
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 20) });
pool.on("error", () => undefined);

const server = createServer(
  connectNodeAdapter({
    routes: (router) =>
      router.service(Conversations, {
        async getConversation(request) {
          const [, project, , location, , id] = request.name.split("/");
          const { rows } = await pool.query<KeyedRow>({ ...PRIMARY_KEY_GET, values: [project, location, id] });
          if (rows[0] === undefined) throw new ConnectError("not found", Code.NotFound);
          return conversationOfFields(rows[0]);
        },
        async createConversation() {
          // The service's CREATE takes $2 project, $3 stored location, $5 profile ID and $6 its name.
          const [, project, location, , profileId, profileName] = statements.create.values;
          const values = [project, location, `c${randomBytes(16).toString("base64url")}`, profileName, profileId];
          const { rows } = await pool.query<KeyedRow>({ ...PRIMARY_KEY_CREATE, values });
          return conversationOfFields(rows[0] as KeyedRow);
        },
      }),
  }),
);
server.listen(0, "127.0.0.1", () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
// An exit of its own on SIGTERM, so that node --cpu-prof writes the profile.
process.on("SIGTERM", () => process.exit(0));
