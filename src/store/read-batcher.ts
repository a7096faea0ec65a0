// Reads of single rows that arrive together are answered by one statement.
//
// Under load, a socket read hands the service many calls at once, and one
// statement per call is then mostly overhead: a protocol exchange, a result
// parsed, a write(2) and a wake-up of the backend each, for one indexed row.
// Keys asked for in the same turn of the event loop are collected and looked
// up together when the turn's I/O has been handled (setImmediate), so a call
// never waits for more than that turn; a call alone in its turn is a batch of
// one. Each call still costs at most one statement, and sees every write that
// was acknowledged before it arrived, as the statement starts after it did.

/** Runs one statement for `keys` and returns, per key in order, its result or undefined when absent. */
export type BatchLookup<Key, Result> = (keys: readonly Key[]) => Promise<ReadonlyArray<Result | undefined>>;

interface Waiting<Key, Result> {
  readonly key: Key;
  readonly resolve: (result: Result | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/** Returns `load`, which answers one key through `lookup` together with the keys loaded in the same turn. */
export function createReadBatcher<Key, Result>(
  lookup: BatchLookup<Key, Result>,
  maxBatch: number,
): (key: Key) => Promise<Result | undefined> {
  let waiting: Waiting<Key, Result>[] = [];

  const run = (batch: readonly Waiting<Key, Result>[]) => {
    lookup(batch.map((each) => each.key)).then(
      (results) => batch.forEach((each, index) => each.resolve(results[index])),
      (error: unknown) => batch.forEach((each) => each.reject(error)),
    );
  };
  const flush = () => {
    const due = waiting;
    waiting = [];
    for (let start = 0; start < due.length; start += maxBatch) run(due.slice(start, start + maxBatch));
  };

  return (key) =>
    new Promise<Result | undefined>((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ key, resolve, reject });
    });
}
