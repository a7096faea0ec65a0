import pg from "pg";
import { ExhaustedError } from "../domain/errors.js";
import { currentCallSignal } from "./call-signal.js";
import { checkOut } from "./checked-out-client.js";
import { storeFailure } from "./connection-errors.js";
import type { Database, Statement, Transaction } from "./database.js";
import { queryRows } from "./statement-query.js";

export interface PostgresDatabaseOptions {
  /** A libpq-style URL, e.g. postgres://user@host:5432/db. */
  readonly url: string;
  /** Pool size; the service is limited by Postgres, so this is its concurrency. */
  readonly maxConnections?: number;
  /** How long a call may wait for a connection before it fails as UNAVAILABLE. */
  readonly connectTimeoutMs?: number;
}

// int8 arrives as a string by default; every int8 we select is a count or a
// microsecond timestamp, both well inside Number's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function createPostgresDatabase(options: PostgresDatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 20,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
  });
  // An idle client losing its connection (a database restart) must not crash
  // the process; the pool drops it and the next call connects afresh.
  pool.on("error", () => {});
  let statementCount = 0;
  const maxConnections = options.maxConnections ?? 20;
  // Waiting too long for a connection while every one is busy running
  // statements is overload, not an outage: the database answers, we ask too much.
  const failure = (error: unknown): unknown => {
    if (error instanceof Error && error.message.includes("timeout exceeded when trying to connect") && pool.totalCount >= maxConnections) {
      return new ExhaustedError("OVERLOADED", "The server is overloaded: every database connection stayed busy; retry with exponential backoff");
    }
    return storeFailure(error);
  };
  const rethrow = (error: unknown): never => {
    throw failure(error);
  };

  /** A statement its call's signal cancels: on a client of its own, whose backend is then told to stop. */
  async function cancellableQuery<Row>(signal: AbortSignal, statement: Statement, values: readonly unknown[]): Promise<Row[]> {
    signal.throwIfAborted();
    // A client of our own, so the backend running the statement is known and can be cancelled.
    const client = await checkOut(pool).catch(rethrow);
    // The deadline may pass while a connection is being made (slow under load): the
    // statement must then not start, as nothing would cancel it any more.
    if (signal.aborted) {
      client.release();
      signal.throwIfAborted();
    }
    // A cancel that reaches the backend before the statement does is lost; it is
    // repeated until the statement has ended.
    let ended = false;
    const cancel = () => {
      if (ended) return;
      void pool
        .query("SELECT pg_cancel_backend($1)", [client.backendPid])
        .catch(() => undefined)
        .then(() => {
          if (!ended) setTimeout(cancel, 100).unref();
        });
    };
    signal.addEventListener("abort", cancel);
    try {
      return await client.rows<Row>(statement, values, failure);
    } finally {
      ended = true;
      signal.removeEventListener("abort", cancel);
      client.release();
    }
  }

  return {
    kind: "postgres",
    get statementCount() {
      return statementCount;
    },
    query<Row>(statement: Statement, values: readonly unknown[] = []): Promise<Row[]> {
      statementCount++;
      const signal = currentCallSignal();
      // Nothing can cancel it: it runs on the pool as it comes, with no layer of its own.
      if (signal === undefined) return queryRows<Row>(pool, statement, values, failure);
      return cancellableQuery<Row>(signal, statement, values);
    },
    poolStats() {
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    },
    async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
      const client = await checkOut(pool).catch(rethrow);
      try {
        await client.query({ text: "BEGIN" }).catch(rethrow);
        const result = await work({
          query: <Row>(statement: Statement, values: readonly unknown[] = []) => client.rows<Row>(statement, values, failure),
          exec: async (script) => {
            await client.query({ text: script }).catch(rethrow);
          },
        });
        await client.query({ text: "COMMIT" }).catch(rethrow);
        return result;
      } catch (error) {
        await client.query({ text: "ROLLBACK" }).catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
