import type { Logger } from "pino";
import type { AvailabilityChange } from "../store/database-availability.js";
import { describeConnectionError, errorCode } from "../store/connection-errors.js";

/** One warn line when the database goes away, with what Postgres or the socket said; one info line when it is back. */
export function logDatabaseAvailability(log: Logger): (change: AvailabilityChange) => void {
  return (change) => {
    if (change.available) {
      log.info({ unavailableMs: change.unavailableMs }, `database available again after ${(change.unavailableMs / 1000).toFixed(1)} s`);
      return;
    }
    const cause = change.error.cause instanceof Error ? change.error.cause : change.error;
    log.warn(
      { cause: { code: errorCode(cause), message: cause.message } },
      `database unavailable: ${describeConnectionError(cause)}; calls fail with UNAVAILABLE until it answers again`,
    );
  };
}
