// The abort signal of the call being served, carried from the RPC layer to
// the database so that a statement is cancelled when its caller's deadline
// passes or the caller goes away.
//
// It is held in a slot set only while the handler runs synchronously, not in
// an AsyncLocalStorage: ALS turns on promise hooks that tax every promise of
// the process. That reaches every statement an RPC sends, because each RPC is
// one statement (test/round-trips checks it) issued before the handler's first
// await. A statement issued later simply runs without cancellation; it can
// never see another call's signal, as the slot is restored before any other
// code runs.

let current: AbortSignal | undefined;

/** Runs `work` with `signal` as the signal of the statement it issues; undefined: a statement nothing cancels. */
export function withCallSignal<T>(signal: AbortSignal | undefined, work: () => T): T {
  const outer = current;
  current = signal;
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
