import type { Database } from "./database.js";
import { createEmbeddedDatabase } from "./embedded-database.js";
import { createPostgresDatabase } from "./postgres-database.js";

/** Postgres when a URL is given, else the embedded Postgres persisted under dataDir. */
export async function openDatabase(databaseUrl: string | undefined, dataDir: string, poolSize: number): Promise<Database> {
  return databaseUrl === undefined
    ? createEmbeddedDatabase({ dataDir, poolSize })
    : createPostgresDatabase({ url: databaseUrl, maxConnections: poolSize });
}
