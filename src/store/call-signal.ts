import { AsyncLocalStorage } from "node:async_hooks";

// The abort signal of the call being served, carried from the RPC layer to
// the database without threading it through every signature in between, so
// that a statement is cancelled when its caller's deadline passes or the
// caller goes away.

const current = new AsyncLocalStorage<AbortSignal>();

/** Runs `work` with `signal` as the signal of every statement it issues. */
export function withCallSignal<T>(signal: AbortSignal, work: () => T): T {
  return current.run(signal, work);
}

/** The signal of the call being served, if any. */
export function currentCallSignal(): AbortSignal | undefined {
  return current.getStore();
}
