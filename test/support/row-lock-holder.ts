import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { activeStatementsAfterCancel } from "./active-statements.js";

/** A second connection to a test's database that holds a conversation's row lock, so the statements that lock it too (CompleteConversation's, a turn's) wait. */
export interface RowLockHolder {
  /** Locks the conversation `id` in a transaction of its own, until release(). */
  lock(id: string): Promise<void>;
  release(): Promise<void>;
  /** CompleteConversation's UPDATEs still running, once a cancelled one has had time to leave. */
  waitingCompletes(): Promise<number>;
  /** Statements whose text is LIKE `pattern` still running, once a cancelled one has had time to leave. */
  waitingStatements(pattern: string): Promise<number>;
}

/** Connects before the suite's tests and disconnects after them; `databaseUrl` is read then. */
export function useRowLockHolder(databaseUrl: () => string | undefined): RowLockHolder {
  let client: pg.Client | undefined;
  const connected = () => {
    if (client === undefined) throw new Error("the row lock holder is used outside its suite");
    return client;
  };
  beforeAll(async () => {
    client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });
  return {
    async lock(id) {
      await connected().query("BEGIN");
      await connected().query("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", [id]);
    },
    async release() {
      await connected().query("ROLLBACK");
    },
    waitingCompletes: () => activeStatementsAfterCancel(connected(), "%UPDATE conversations SET end_time%"),
    waitingStatements: (pattern) => activeStatementsAfterCancel(connected(), pattern),
  };
}
