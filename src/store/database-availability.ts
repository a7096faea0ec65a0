import { StoreUnavailableError } from "../domain/errors.js";
import type { Database, Statement } from "./database.js";

// Whether the database is there, as every statement sees it (the calls', the
// readiness probe's, the sweep's), told once when it goes away and once when
// it is back, not once per failed call.
//
// An outage ends many statements at once, and a statement that started before
// a change may end after it: a call on a connection the restart killed fails
// after a fresh connection has already answered. So only a statement that
// started after the last change can change the state again.

export type AvailabilityChange =
  | { readonly available: false; readonly error: StoreUnavailableError }
  | { readonly available: true; readonly unavailableMs: number };

/** `database`, telling `onChange` when its statements stop being answered and when they are answered again. */
export function watchAvailability(database: Database, onChange: (change: AvailabilityChange) => void): Database {
  // Unknown until the first outcome: start-up failures are reported by start-up, not as an outage.
  let state: "unknown" | "available" | "unavailable" = "unknown";
  let changedAt = performance.now();
  const answered = (startedAt: number) => {
    if (state === "available" || startedAt < changedAt) return;
    const now = performance.now();
    if (state === "unavailable") onChange({ available: true, unavailableMs: Math.round(now - changedAt) });
    state = "available";
    changedAt = now;
  };
  const failed = (startedAt: number, error: unknown) => {
    if (!(error instanceof StoreUnavailableError) || state === "unavailable" || startedAt < changedAt) return;
    if (state === "available") onChange({ available: false, error });
    state = "unavailable";
    changedAt = performance.now();
  };
  // The statement is issued synchronously (the call's signal is read then, see call-signal.ts);
  // its outcome is observed beside the caller's await rather than in its way.
  const observe = <T>(work: () => Promise<T>): Promise<T> => {
    const startedAt = performance.now();
    const result = work();
    result.then(
      () => answered(startedAt),
      (error: unknown) => failed(startedAt, error),
    );
    return result;
  };
  return {
    kind: database.kind,
    get statementCount() {
      return database.statementCount;
    },
    query<Row>(statement: Statement, values?: readonly unknown[]) {
      return observe(() => database.query<Row>(statement, values));
    },
    transaction: (work) => observe(() => database.transaction(work)),
    poolStats: database.poolStats?.bind(database),
    close: () => database.close(),
  };
}
