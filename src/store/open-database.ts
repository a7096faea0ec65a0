import type { Database } from "./database.js";
import { createEmbeddedDatabase } from "./embedded-database.js";
import { createPostgresDatabase } from "./postgres-database.js";

/** Postgres when a URL is given, else the embedded Postgres persisted under dataDir. */
export async function openDatabase(
  databaseUrl: string | undefined,
  dataDir: string,
  poolSize: number,
  options: { readonly useRunning?: boolean } = {},
): Promise<Database> {
  return databaseUrl === undefined
    ? createEmbeddedDatabase({ dataDir, poolSize, useRunning: options.useRunning })
    : createPostgresDatabase({ url: databaseUrl, maxConnections: poolSize });
}
