import type { Database } from "./database.js";
import { watchAvailability, type AvailabilityChange } from "./database-availability.js";
import { createEmbeddedDatabase } from "./embedded-database.js";
import type { EmbeddedPostgresSupervision } from "./embedded-postgres.js";
import { createPostgresDatabase } from "./postgres-database.js";

export interface OpenDatabaseOptions {
  /** Connect to the server the running service started on dataDir, if any (see embedded-postgres.ts). */
  readonly useRunning?: boolean;
  /** Told once when the database stops answering and once when it answers again (see database-availability.ts). */
  readonly onAvailabilityChange?: (change: AvailabilityChange) => void;
  /** The embedded Postgres only: restart it when it dies, and what to do when it cannot be. */
  readonly supervision?: EmbeddedPostgresSupervision;
}

/** Postgres when a URL is given, else the embedded Postgres persisted under dataDir. */
export async function openDatabase(databaseUrl: string | undefined, dataDir: string, poolSize: number, options: OpenDatabaseOptions = {}): Promise<Database> {
  const database =
    databaseUrl === undefined
      ? await createEmbeddedDatabase({ dataDir, poolSize, useRunning: options.useRunning, supervision: options.supervision })
      : createPostgresDatabase({ url: databaseUrl, maxConnections: poolSize });
  return options.onAvailabilityChange === undefined ? database : watchAvailability(database, options.onAvailabilityChange);
}
