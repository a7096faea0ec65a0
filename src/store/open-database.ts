import type { Database } from "./database.js";
import { createEmbeddedDatabase } from "./embedded-database.js";
import type { EmbeddedPostgresSupervision } from "./embedded-postgres.js";
import { createPostgresDatabase } from "./postgres-database.js";

/** Postgres when a URL is given, else the embedded Postgres persisted under dataDir. */
export async function openDatabase(
  databaseUrl: string | undefined,
  dataDir: string,
  poolSize: number,
  options: { readonly useRunning?: boolean; readonly supervision?: EmbeddedPostgresSupervision } = {},
): Promise<Database> {
  return databaseUrl === undefined
    ? createEmbeddedDatabase({ dataDir, poolSize, useRunning: options.useRunning, supervision: options.supervision })
    : createPostgresDatabase({ url: databaseUrl, maxConnections: poolSize });
}
