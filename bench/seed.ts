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

/**
 * Inserts `count` text turns of `participant` (END_USER) into its
 * conversation in one statement, one millisecond apart, the newest now.
 */
export async function seedMessages(databaseUrl: string, participant: string, count: number): Promise<void> {
  const [, project, , location, , conversationId, , participantId] = participant.split("/");
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => undefined);
  await client.connect();
  await client.query(
    `INSERT INTO messages (project, location, conversation_id, create_time, id, participant_id, participant_role, content, language_code)
SELECT $1, $2, $3, now() - n * interval '1 millisecond', 'seed-' || n, $4, 3, 'Turn ' || n || ': I would like to move my booking to Friday, please.', 'en-US'
FROM generate_series(1, $5::int) AS n`,
    [project, location, conversationId, participantId, count],
  );
  await client.query("ANALYZE messages");
  await client.end();
}
