import { PGlite } from "@electric-sql/pglite";
import type { Database, Statement, Transaction } from "./database.js";

/**
 * Postgres compiled to WebAssembly, in process: the default when no
 * DATABASE_URL is given, so the service runs with nothing installed.
 * It runs one statement at a time, which suits a single developer, not production.
 */
export async function createEmbeddedDatabase(dataDir: string | undefined): Promise<Database> {
  // No directory means in memory, which is what tests want.
  const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  await db.waitReady;
  let statementCount = 0;
  const run = async <Row>(target: Pick<PGlite, "query">, statement: Statement, values: readonly unknown[]) =>
    (await target.query<Row>(statement.text, [...values])).rows;

  return {
    kind: "embedded",
    get statementCount() {
      return statementCount;
    },
    async query<Row>(statement: Statement, values: readonly unknown[] = []): Promise<Row[]> {
      statementCount++;
      return run<Row>(db, statement, values);
    },
    async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
      return db.transaction((tx) =>
        work({
          query: (statement, values = []) => run(tx, statement, values),
          exec: async (script) => {
            await tx.exec(script);
          },
        }),
      );
    },
    async close() {
      await db.close();
    },
  };
}
