import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { Conversations } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { encodePageToken } from "../src/domain/page-token.js";
import type { Database } from "../src/store/database.js";
import { readPageTokenSecret } from "../src/store/settings.js";
import { createHumanProfileDirect, seedConversations } from "./seed.js";

export interface DepthResult {
  readonly rows: number;
  readonly depth: number;
  readonly firstMs: number;
  readonly deepMs: number;
  readonly ratio: number;
  readonly usesIndex: boolean;
}

/**
 * Keyset pagination must not slow down with depth: the page after row
 * `rows / 2` of a parent holding `rows` conversations against the first page.
 */
export async function measureDepth(databaseUrl: string, baseUrl: string, database: Database, rows: number): Promise<DepthResult> {
  const parent = "projects/bench/locations/deep";
  const profile = await createHumanProfileDirect(baseUrl, parent);
  await seedConversations(databaseUrl, parent, profile, rows, "deep");
  const depth = rows / 2;

  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  const { rows: at } = await sql.query<{ micros: string; id: string }>(
    `SELECT floor(extract(epoch FROM start_time) * 1000000)::int8 AS micros, id FROM conversations
WHERE project = 'bench' AND location = 'deep' ORDER BY start_time DESC, id DESC OFFSET $1 LIMIT 1`,
    [depth - 1],
  );
  const cursor = { micros: Number(at[0]?.micros), id: at[0]?.id ?? "" };
  // The token the service would have issued after `depth` rows.
  const pageToken = encodePageToken(cursor, `${parent}\n`, await readPageTokenSecret(database));
  const plan = await sql.query<{ "QUERY PLAN": string }>(
    `EXPLAIN SELECT id FROM conversations WHERE project = 'bench' AND location = 'deep'
AND (start_time, id) < ('epoch'::timestamptz + $1::int8 * interval '1 microsecond', $2) ORDER BY start_time DESC, id DESC LIMIT 101`,
    [cursor.micros, cursor.id],
  );
  const planText = plan.rows.map((row) => row["QUERY PLAN"]).join("\n");
  await sql.end();

  const client = createClient(Conversations, createGrpcTransport({ baseUrl }));
  const time = async (token: string) => {
    const samples: number[] = [];
    for (let i = 0; i < 25; i++) {
      const started = performance.now();
      const page = await client.listConversations({ parent, pageSize: 100, pageToken: token });
      if (page.conversations.length !== 100) throw new Error("a page came back short");
      samples.push(performance.now() - started);
    }
    return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0;
  };
  await time(""); // warm both statements
  await time(pageToken);
  const firstMs = await time("");
  const deepMs = await time(pageToken);
  return {
    rows,
    depth,
    firstMs,
    deepMs,
    ratio: deepMs / firstMs,
    usesIndex: /Index (Only )?Scan/.test(planText) && !/Sort|Seq Scan/.test(planText),
  };
}
