import { describe, expect, it } from "vitest";
import { createCallBatcher } from "../src/store/call-batcher.js";

function recordingLookup(answer: (key: number) => string | undefined = (key) => (key % 2 === 0 ? `row ${key}` : undefined)) {
  const batches: number[][] = [];
  const lookup = async (keys: readonly number[]) => {
    batches.push([...keys]);
    return keys.map(answer);
  };
  return { batches, lookup };
}

describe("createCallBatcher", () => {
  it("sends a call at once when nothing of its kind is in flight or waiting", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createCallBatcher(lookup, 10);
    const answer = load(2);
    expect(batches).toEqual([[2]]);
    expect(await answer).toBe("row 2");
  });

  it("looks up together the keys of one turn that arrive while a statement is in flight, each with its own result", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createCallBatcher(lookup, 10);
    const results = await Promise.all([0, 1, 2, 3, 4].map((key) => load(key)));
    expect(batches).toEqual([[0], [1, 2, 3, 4]]);
    expect(results).toEqual(["row 0", undefined, "row 2", undefined, "row 4"]);
  });

  it("keeps a repeated key as two entries", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createCallBatcher(lookup, 10);
    expect(await Promise.all([0, 2, 2].map((key) => load(key)))).toEqual(["row 0", "row 2", "row 2"]);
    expect(batches).toEqual([[0], [2, 2]]);
  });

  it("splits a turn's keys into batches of at most maxBatch", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createCallBatcher(lookup, 3);
    const results = await Promise.all([8, 0, 1, 2, 3, 4, 5, 6].map((key) => load(key)));
    expect(batches).toEqual([[8], [0, 1, 2], [3, 4, 5], [6]]);
    expect(results).toEqual(["row 8", "row 0", undefined, "row 2", undefined, "row 4", undefined, "row 6"]);
  });

  it("after a batch of many, waits for the turn's end even with nothing in flight, and sends at once again after a batch of one", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createCallBatcher(lookup, 10);
    await Promise.all([2, 4, 6].map((key) => load(key)));
    expect(batches).toEqual([[2], [4, 6]]);
    const afterMany = load(8);
    expect(batches).toEqual([[2], [4, 6]]);
    await afterMany;
    const alone = load(10);
    expect(batches).toEqual([[2], [4, 6], [8], [10]]);
    await alone;
  });

  it("without sendAloneAtOnce, sends even a call alone at its turn's end, with the others of the turn", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createCallBatcher(lookup, 10, { sendAloneAtOnce: false });
    const first = load(0);
    expect(batches).toEqual([]);
    await Promise.all([first, load(1), load(2)]);
    expect(batches).toEqual([[0, 1, 2]]);
  });

  it("fails every call of a batch whose lookup fails, and only those", async () => {
    let fail = true;
    const load = createCallBatcher(async (keys: readonly number[]) => {
      if (fail) throw new Error("database unavailable");
      return keys.map(String);
    }, 10);
    const failed = await Promise.allSettled([1, 2, 3].map((key) => load(key)));
    expect(failed.map((result) => result.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect((failed[0] as PromiseRejectedResult).reason).toEqual(new Error("database unavailable"));
    expect((failed[2] as PromiseRejectedResult).reason).toEqual(new Error("database unavailable"));
    fail = false;
    expect(await load(4)).toBe("4");
  });
});

describe("createCallBatcher with deadlines", () => {
  const never = () => new Promise<never>(() => undefined);

  it("answers a call whose signal aborts at once, with the signal's reason, and the others when the lookup ends", async () => {
    const finishes: (() => void)[] = [];
    const load = createCallBatcher(
      (keys: readonly number[]) => new Promise<string[]>((resolve) => finishes.push(() => resolve(keys.map((key) => `row ${key}`)))),
      10,
    );
    const first = load(0);
    const impatient = new AbortController();
    const gaveUp = load(1, impatient.signal);
    const patient = load(2, new AbortController().signal);
    await new Promise((resolve) => setImmediate(resolve));
    impatient.abort(new Error("deadline passed"));
    await expect(gaveUp).rejects.toThrow("deadline passed");
    for (const finish of finishes) finish();
    expect(await Promise.all([first, patient])).toEqual(["row 0", "row 2"]);
  });

  it("gives a call sent alone its own signal", async () => {
    let seen: AbortSignal | undefined;
    const load = createCallBatcher((_keys: readonly number[], signal: AbortSignal | undefined) => {
      seen = signal;
      return never();
    }, 10);
    const alone = new AbortController();
    const call = load(1, alone.signal).catch((error: unknown) => error);
    expect(seen).toBe(alone.signal);
    alone.abort(new Error("gave up"));
    expect(await call).toEqual(new Error("gave up"));
  });

  it("tells the lookup to stop only when every call of the batch has given up", async () => {
    let seen: AbortSignal | undefined;
    const load = createCallBatcher((_keys: readonly number[], signal: AbortSignal | undefined) => {
      seen = signal;
      return never();
    }, 10);
    void load(0);
    const first = new AbortController();
    const second = new AbortController();
    const calls = [load(1, first.signal), load(2, second.signal)].map((call) => call.catch((error: unknown) => error));
    await new Promise((resolve) => setImmediate(resolve));
    first.abort(new Error("first"));
    expect(seen?.aborted).toBe(false);
    second.abort(new Error("second"));
    expect(seen?.aborted).toBe(true);
    expect(await Promise.all(calls)).toEqual([new Error("first"), new Error("second")]);
  });

  it("never tells the lookup to stop while a call without a deadline waits for it", async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const load = createCallBatcher((keys: readonly number[], signal: AbortSignal | undefined) => {
      seen.push(signal);
      return Promise.resolve(keys.map(String));
    }, 10);
    const alone = new AbortController().signal;
    expect(await Promise.all([load(0, alone), load(1, new AbortController().signal), load(2)])).toEqual(["0", "1", "2"]);
    expect(seen).toEqual([alone, undefined]);
  });

  it("does not look up the key of a call that gave up before the batch was sent", async () => {
    const batches: number[][] = [];
    const load = createCallBatcher(async (keys: readonly number[]) => {
      batches.push([...keys]);
      return keys.map(String);
    }, 10);
    const already = new AbortController();
    already.abort(new Error("too late"));
    const quitting = new AbortController();
    const calls = [load(0), load(1, already.signal), load(2, quitting.signal), load(3)].map((call) => call.catch((error: unknown) => error));
    quitting.abort(new Error("quit"));
    expect(await Promise.all(calls)).toEqual(["0", new Error("too late"), new Error("quit"), "3"]);
    expect(batches).toEqual([[0], [3]]);
  });
});
