import { describe, expect, it } from "vitest";
import { createReadBatcher } from "../src/store/read-batcher.js";

function recordingLookup(answer: (key: number) => string | undefined = (key) => (key % 2 === 0 ? `row ${key}` : undefined)) {
  const batches: number[][] = [];
  const lookup = async (keys: readonly number[]) => {
    batches.push([...keys]);
    return keys.map(answer);
  };
  return { batches, lookup };
}

describe("createReadBatcher", () => {
  it("looks up the keys of one turn together and gives each its own result", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createReadBatcher(lookup, 10);
    const results = await Promise.all([1, 2, 3, 4].map(load));
    expect(batches).toEqual([[1, 2, 3, 4]]);
    expect(results).toEqual([undefined, "row 2", undefined, "row 4"]);
  });

  it("keeps a repeated key as two entries", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createReadBatcher(lookup, 10);
    expect(await Promise.all([2, 2].map(load))).toEqual(["row 2", "row 2"]);
    expect(batches).toEqual([[2, 2]]);
  });

  it("splits a turn's keys into batches of at most maxBatch", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createReadBatcher(lookup, 3);
    const results = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(load));
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(results).toEqual(["row 0", undefined, "row 2", undefined, "row 4", undefined, "row 6"]);
  });

  it("starts a new batch for keys loaded after the previous one was sent", async () => {
    const { batches, lookup } = recordingLookup();
    const load = createReadBatcher(lookup, 10);
    await load(2);
    await Promise.all([4, 6].map(load));
    expect(batches).toEqual([[2], [4, 6]]);
  });

  it("fails every call of a batch whose lookup fails, and only those", async () => {
    let fail = true;
    const load = createReadBatcher(async (keys: readonly number[]) => {
      if (fail) throw new Error("database unavailable");
      return keys.map(String);
    }, 10);
    const failed = await Promise.allSettled([1, 2].map(load));
    expect(failed.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    expect((failed[0] as PromiseRejectedResult).reason).toEqual(new Error("database unavailable"));
    fail = false;
    expect(await load(3)).toBe("3");
  });
});
