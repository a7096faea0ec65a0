import type pg from "pg";

// The data the scale bench reads, written with generate_series in a few
// statements: `rows` conversations in projects/scale over 20 days, about 20 of
// them running (the oldest 20 h old), the rest ended; four profiles, one with
// an agent (its conversations are in VIRTUAL_AGENT_STAGE), and a fifth that no
// conversation uses; plus rows / 2 conversations in projects/old that ended
// 31-40 days ago, for the purge to delete.

export const SCALE_PARENT = "projects/scale/locations/global";
export const PROFILES = ["agent", "human-a", "human-b", "human-c"] as const;
export const UNUSED_PROFILE = "unused";

export function profileName(id: string, parent = SCALE_PARENT): string {
  return `${parent}/conversationProfiles/${id}`;
}

export function conversationName(n: number): string {
  return `${SCALE_PARENT}/conversations/conv-${n}`;
}

export async function seedScale(client: pg.Client, rows: number): Promise<void> {
  for (const project of ["scale", "old", "create"]) {
    for (const id of [...PROFILES, UNUSED_PROFILE]) {
      await client.query(
        `INSERT INTO conversation_profiles (project, location, id, body, create_time, update_time)
VALUES ($1, 'global', $2, $3, now(), now())`,
        [project, id, JSON.stringify(id === "agent" ? { displayName: id, automatedAgentConfig: { agent: `projects/${project}/agent` } } : { displayName: id })],
      );
    }
  }
  // Row n starts n / rows of 20 days ago; rows in the newest 20 h are running at every (rows / 24 / 20)-th.
  const runningEvery = Math.max(1, Math.floor(rows / 24 / 20));
  await client.query(
    `INSERT INTO conversations (project, location, id, conversation_profile, profile_location, profile_id, initial_profile,
  conversation_stage, start_time, end_time)
SELECT 'scale', 'global', 'conv-' || n, 'projects/scale/locations/global/conversationProfiles/' || profile, 'global', profile,
  jsonb_build_object('displayName', profile), CASE WHEN profile = 'agent' THEN 1 ELSE 2 END, started,
  CASE WHEN n <= $1::int / 24 AND n % $2::int = 0 THEN NULL ELSE LEAST(now(), started + (n % 1800) * interval '1 second') END
FROM generate_series(1, $1::int) AS n,
  LATERAL (SELECT (ARRAY['agent', 'human-a', 'human-b', 'human-c'])[n % 4 + 1] AS profile,
    now() - n * (interval '20 days' / $1::int) AS started) AS row`,
    [rows, runningEvery],
  );
  await client.query(
    `INSERT INTO conversations (project, location, id, conversation_profile, profile_location, profile_id, initial_profile,
  conversation_stage, start_time, end_time)
SELECT 'old', 'global', 'old-' || n, 'projects/old/locations/global/conversationProfiles/human-a', 'global', 'human-a',
  '{"displayName":"human-a"}', 2, ended - interval '10 minutes', ended
FROM generate_series(1, $1::int) AS n, LATERAL (SELECT now() - interval '31 days' - n * (interval '9 days' / $1::int) AS ended) AS row`,
    [Math.floor(rows / 2)],
  );
  await client.query("VACUUM ANALYZE conversations");
}
