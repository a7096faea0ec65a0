// The abort signal of the call being served, carried from the RPC layer to
// the database so that a statement is cancelled when its caller's deadline
// passes or the caller goes away.
//
// The RPC layer holds it in a slot set only while the handler runs
// synchronously, not in an AsyncLocalStorage: ALS turns on promise hooks that
// tax every promise of the process. The slot reaches a statement issued before
// the handler's first await, which is every statement of the single-statement
// RPCs (test/round-trips checks they are one). A statement issued later, such
// as AnalyzeContent's reply after the webhook or a streamed turn, is given the
// call's signal as a value: the store methods a call reaches then take a
// `signal` and set the slot again around their statement. One issued later
// without it runs without cancellation; no statement can see another call's
// signal, as the slot is restored before any other code runs.

let current: AbortSignal | undefined;

/**
 * The signal of a call only its end cancels (a gRPC call without a deadline,
 * as grpc-js serves it): it never aborts, and a statement given it runs on
 * the pool as it comes, as one given none does, without a connection of its
 * own held so that it can be cancelled.
 */
export const UNCANCELLABLE: AbortSignal = new AbortController().signal;

/** Runs `work` with `signal` as the signal of the statement it issues; undefined or UNCANCELLABLE: a statement nothing cancels. */
export function withCallSignal<T>(signal: AbortSignal | undefined, work: () => T): T {
  const outer = current;
  current = signal === UNCANCELLABLE ? undefined : signal;
  try {
    return work();
  } finally {
    current = outer;
  }
}

/** The signal of the call being served, if any. */
export function currentCallSignal(): AbortSignal | undefined {
  return current;
}
