import { StoreUnavailableError } from "../domain/errors.js";

// Which failures mean "the database is not there right now" rather than "this
// statement is wrong", and how they are named to callers and in logs.

// SQLSTATE classes: connection exceptions, operator intervention (shutdown,
// crash recovery, pg_terminate_backend) and insufficient resources (53300:
// too many connections).
const UNAVAILABLE_SQLSTATE = /^(08|57P0|53)/;
const UNAVAILABLE_ERRNO = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"]);

export function isConnectionError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const code = errorCode(error);
  if (code !== undefined && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(error.message);
}

/** The SQLSTATE of a Postgres error or the errno name of a socket error, if it has one. */
export function errorCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** "terminating connection due to administrator command (57P01)": the cause as Postgres or the socket said it. */
export function describeConnectionError(error: Error): string {
  const code = errorCode(error);
  return code === undefined || error.message.includes(code) ? error.message : `${error.message} (${code})`;
}

/** What a store call fails with: a connection failure as StoreUnavailableError (UNAVAILABLE), naming its cause; anything else as it is. */
export function storeFailure(error: unknown): unknown {
  return isConnectionError(error) ? new StoreUnavailableError(`the database is unavailable: ${describeConnectionError(error)}`, { cause: error }) : error;
}
