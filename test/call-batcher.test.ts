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
  it("looks up the keys of one turn together and gives each its own result", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createCallBatcher(lookup, 10);
    const results = await Promise.all([1, 2, 3, 4].map((key) => load(key)));
    expect(batches).toEqual([[1, 2, 3, 4]]);
    expect(results).toEqual([undefined, "row 2", undefined, "row 4"]);
  });

  it("keeps a repeated key as two entries", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createCallBatcher(lookup, 10);
    expect(await Promise.all([2, 2].map((key) => load(key)))).toEqual(["row 2", "row 2"]);
    expect(batches).toEqual([[2, 2]]);
  });

  it("splits a turn's keys into batches of at most maxBatch", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createCallBatcher(lookup, 3);
    const results = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((key) => load(key)));
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(results).toEqual(["row 0", undefined, "row 2", undefined, "row 4", undefined, "row 6"]);
  });

  it("starts a new batch for keys loaded after the previous one was sent", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createCallBatcher(lookup, 10);
    await load(2);
    await Promise.all([4, 6].map((key) => load(key)));
    expect(batches).toEqual([[2], [4, 6]]);
  });

  it("fails every call of a batch whose lookup fails, and only those", async () => {
    let fail = true;
    const load = createCallBatcher(async (keys: readonly number[]) => {
      if (fail) throw new Error("database unavailable");
      return keys.map(String);
    }, 10);
    const failed = await Promise.allSettled([1, 2].map((key) => load(key)));
    expect(failed.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    expect((failed[0] as PromiseRejectedResult).reason).toEqual(new Error("database unavailable"));
    fail = false;
    expect(await load(3)).toBe("3");
  });
});

describe("createCallBatcher with deadlines", () => {
  const never = () => new Promise<never>(() => undefined);

  it("answers a call whose signal aborts at once, with the signal's reason, and the others when the lookup ends", async () => {
    let finish: (results: string[]) => void = () => undefined;
    const load = createCallBatcher((keys: readonly number[]) => new Promise<string[]>((resolve) => (finish = resolve)), 10);
    const impatient = new AbortController();
    const gaveUp = load(1, impatient.signal);
    const patient = load(2, new AbortController().signal);
    await new Promise((resolve) => setImmediate(resolve));
    impatient.abort(new Error("deadline passed"));
    await expect(gaveUp).rejects.toThrow("deadline passed");
    finish(["one", "two"]);
    expect(await patient).toBe("two");
  });

  it("tells the lookup to stop only when every call of the batch has given up", async () => {
    let seen: AbortSignal | undefined;
    const load = createCallBatcher((_keys: readonly number[], signal: AbortSignal | undefined) => {
      seen = signal;
      return never();
    }, 10);
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
    let seen: AbortSignal | undefined = new AbortController().signal;
    const load = createCallBatcher((keys: readonly number[], signal: AbortSignal | undefined) => {
      seen = signal;
      return Promise.resolve(keys.map(String));
    }, 10);
    expect(await Promise.all([load(1, new AbortController().signal), load(2)])).toEqual(["1", "2"]);
    expect(seen).toBeUndefined();
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
    const calls = [load(1, already.signal), load(2, quitting.signal), load(3)].map((call) => call.catch((error: unknown) => error));
    quitting.abort(new Error("quit"));
    expect(await Promise.all(calls)).toEqual([new Error("too late"), new Error("quit"), "3"]);
    expect(batches).toEqual([[3]]);
  });
});
