import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { ConversationProfiles } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";

export async function createHumanProfileDirect(baseUrl: string, parent: string): Promise<string> {
  const client = createClient(ConversationProfiles, createGrpcTransport({ baseUrl }));
  const profile = await client.createConversationProfile({ parent, conversationProfile: { displayName: "Bench" } });
  return profile.name;
}

/** Inserts `count` running conversations under `parent` in one statement; returns their names. */
export async function seedConversations(databaseUrl: string, parent: string, profile: string, count: number, prefix = "seed"): Promise<string[]> {
  const [, project, , location] = parent.split("/");
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => undefined);
  await client.connect();
  const profileId = profile.split("/").pop();
  await client.query(
    `INSERT INTO conversations (project, location, id, conversation_profile, profile_location, profile_id, conversation_stage, start_time)
SELECT $1, $2, $3 || '-' || n, $4, $2, $6, 2, now() - n * interval '1 millisecond' FROM generate_series(1, $5::int) AS n`,
    [project, location, prefix, profile, count, profileId],
  );
  await client.query("ANALYZE conversations");
  await client.end();
  return Array.from({ length: count }, (_, i) => `${parent}/conversations/${prefix}-${i + 1}`);
}
