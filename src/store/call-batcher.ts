// Single-row statements of calls that arrive together are sent as one.
//
// Under load, a socket read hands the service many calls at once, and one
// statement per call is then mostly overhead: a protocol exchange, a result
// parsed, a write(2) and a wake-up of the backend each, for one indexed row.
//
// One call at a time, the calls come alone: a call that finds nothing of its
// kind in flight or waiting, when the last statement sent answered one call
// too, is sent at once as its own statement, as quick as a hand-written
// query. Any other call is collected and sent together with those of the
// same turn when the turn's I/O has been handled (setImmediate), so a call
// never waits for more than that turn. Under load the last statement answered
// many, so every turn's calls still share one statement, even in the moment
// between a batch's answer and the next socket read, when nothing is in
// flight; once the load is gone, the first batch of one restores sending at
// once. Each call
// still costs at most one statement, and sees every write that was
// acknowledged before it arrived, as the statement starts after it did.
//
// Deadlines: a call whose signal aborts is answered at once with the signal's
// reason; the batch's statement is cancelled only when every call in it has
// given up (its lookup gets a signal that aborts then), and never while one
// call without a deadline is still waiting for it.

/**
 * Runs one statement for `keys` and returns, per key in order, its result or
 * undefined when absent. `signal`, when given, aborts when no call wants the
 * answer any more: the statement should then be cancelled.
 */
export type BatchLookup<Key, Result> = (
  keys: readonly Key[],
  signal: AbortSignal | undefined,
) => Promise<ReadonlyArray<Result | undefined>>;

interface Waiting<Key, Result> {
  readonly key: Key;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (result: Result | undefined) => void;
  readonly reject: (error: unknown) => void;
}

export interface BatcherOptions {
  /**
   * Whether a call that comes alone is sent at once (the default). Without,
   * every call waits for its turn's end, so calls that arrive together are
   * always sent by one statement, the first one too.
   */
  readonly sendAloneAtOnce?: boolean;
}

/** Returns `load`, which answers one key through `lookup`, at once when calls come alone, else with the keys loaded in the same turn. */
export function createCallBatcher<Key, Result>(
  lookup: BatchLookup<Key, Result>,
  maxBatch: number,
  options: BatcherOptions = {},
): (key: Key, signal?: AbortSignal) => Promise<Result | undefined> {
  const sendAlone = options.sendAloneAtOnce ?? true;
  let waiting: Waiting<Key, Result>[] = [];
  let inFlight = 0;
  // How many calls the last statement answered; 1 before the first, so a first call alone is sent at once.
  let lastBatchSize = 1;

  const run = (batch: readonly Waiting<Key, Result>[]) => {
    inFlight++;
    lastBatchSize = batch.length;
    lookup(
      batch.map((each) => each.key),
      whenAllAbort(batch.map((each) => each.signal)),
    ).then(
      (results) => {
        inFlight--;
        batch.forEach((each, index) => each.resolve(results[index]));
      },
      (error: unknown) => {
        inFlight--;
        batch.forEach((each) => each.reject(error));
      },
    );
  };
  const flush = () => {
    // Calls that gave up while waiting were answered already; their keys are not looked up.
    const due = waiting.filter((each) => each.signal?.aborted !== true);
    waiting = [];
    for (let start = 0; start < due.length; start += maxBatch) run(due.slice(start, start + maxBatch));
  };

  return (key, signal) =>
    new Promise<Result | undefined>((resolve, reject) => {
      if (signal !== undefined) {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      }
      const call = { key, signal, resolve, reject };
      if (sendAlone && inFlight === 0 && waiting.length === 0 && lastBatchSize === 1) return run([call]);
      if (waiting.length === 0) setImmediate(flush);
      waiting.push(call);
    });
}

/** A signal that aborts once every one of `signals` has; undefined when one of them can never abort. */
function whenAllAbort(signals: ReadonlyArray<AbortSignal | undefined>): AbortSignal | undefined {
  if (signals.length === 1) return signals[0];
  if (signals.some((signal) => signal === undefined)) return undefined;
  const all = new AbortController();
  let live = signals.length;
  for (const signal of signals as AbortSignal[]) {
    signal.addEventListener("abort", () => --live === 0 && all.abort(signal.reason), { once: true });
  }
  return all.signal;
}
