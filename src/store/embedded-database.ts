import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database, Statement } from "./database.js";
import { startEmbeddedPostgres, type EmbeddedPostgresSupervision } from "./embedded-postgres.js";
import { createPostgresDatabase } from "./postgres-database.js";

export interface EmbeddedDatabaseOptions {
  /** Where the data lives (in `<dataDir>/postgres`); undefined means a throwaway directory removed on close. */
  readonly dataDir: string | undefined;
  readonly poolSize: number;
  /** Connect to the server the running service started on dataDir, if any (see embedded-postgres.ts). */
  readonly useRunning?: boolean;
  /** Restart the server when it dies, and report it (see embedded-postgres.ts); for a long-running service. */
  readonly supervision?: EmbeddedPostgresSupervision;
}

/**
 * The default when no DATABASE_URL is given: a real Postgres server started
 * from npm-shipped binaries and stopped with the service, reached through the
 * same pool and statements as any other Postgres.
 */
export async function createEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<Database & { readonly created: boolean }> {
  const scratch = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), "conversations-data-")) : undefined;
  // mkdtemp makes it private; the server may run as another user (see embedded-postgres.ts).
  if (scratch !== undefined) await chmod(scratch, 0o755);
  const directory = join(options.dataDir ?? scratch ?? "", "postgres");
  const server = await startEmbeddedPostgres({ directory, maxConnections: options.poolSize, useRunning: options.useRunning, supervision: options.supervision });
  const pool = createPostgresDatabase({ url: server.url, maxConnections: options.poolSize });
  return {
    kind: "embedded",
    created: server.created,
    get statementCount() {
      return pool.statementCount;
    },
    query<Row>(statement: Statement, values?: readonly unknown[]) {
      return pool.query<Row>(statement, values);
    },
    transaction: (work) => pool.transaction(work),
    poolStats: () => pool.poolStats?.() ?? { total: 0, idle: 0, waiting: 0 },
    async close() {
      await pool.close();
      await server.stop();
      if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    },
  };
}
