import type { Database } from "./database.js";
import { createEmbeddedDatabase } from "./embedded-database.js";
import { createPostgresDatabase } from "./postgres-database.js";

/** Postgres when a URL is given, else the embedded database persisted under dataDir. */
export async function openDatabase(databaseUrl: string | undefined, dataDir: string, poolSize: number): Promise<Database> {
  return databaseUrl === undefined ? createEmbeddedDatabase(dataDir) : createPostgresDatabase({ url: databaseUrl, maxConnections: poolSize });
}
