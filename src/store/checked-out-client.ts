import type pg from "pg";
import { isConnectionError } from "./connection-errors.js";
import type { Statement } from "./database.js";
import { queryRows } from "./statement-query.js";

// A pool client held across awaits (a statement that may be cancelled, a
// transaction). pg-pool listens for a client's `error` only while it is idle:
// a connection that Postgres ends while the client is checked out
// (pg_terminate_backend, a restart, a failover) would be an unhandled `error`
// event, which ends the process. Every checkout goes through here, so every
// held client has a listener for as long as it is held.

export interface CheckedOutClient {
  /** Runs a script (BEGIN, COMMIT, a migration); once the connection is lost, every statement fails with what ended it. */
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
  /** Runs a statement for its rows (statement-query.ts), failing as `query` does, then as `failure` makes it. */
  rows<Row>(statement: Statement, values: readonly unknown[], failure: (error: unknown) => unknown): Promise<Row[]>;
  /** pg keeps the backend's process id on the client, outside its typings. */
  readonly backendPid: number;
  /**
   * Gives the client back. After a connection error (seen by the listener or
   * by a statement) the pool discards it and connects afresh for the next call.
   */
  release(): void;
}

export async function checkOut(pool: pg.Pool): Promise<CheckedOutClient> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost ??= error;
  };
  client.on("error", onError);
  const failure = (error: Error): Error => {
    if (lost === undefined && isConnectionError(error)) lost = error;
    // Once lost, "not queryable" says less than the error that ended the connection.
    return lost ?? error;
  };
  return {
    backendPid: (client as unknown as { processID: number }).processID,
    async query(config) {
      try {
        return await client.query(config);
      } catch (error) {
        throw failure(error as Error);
      }
    },
    rows: (statement, values, outer) => queryRows(client, statement, values, (error) => outer(failure(error as Error))),
    release() {
      client.removeListener("error", onError);
      // With an error, the pool ends the client instead of keeping it idle.
      client.release(lost);
    },
  };
}
