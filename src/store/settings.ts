import type { Database } from "./database.js";

/** The key that signs page tokens, made by the first migration and shared by every replica. */
export async function readPageTokenSecret(database: Database): Promise<string> {
  const [row] = await database.query<{ value: string }>({
    text: "SELECT value FROM service_settings WHERE name = 'page_token_secret'",
  });
  if (row === undefined) throw new Error("service_settings has no page_token_secret; migrations did not run");
  return row.value;
}
