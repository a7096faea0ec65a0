import { describe, expect, it } from "vitest";
import { durationText } from "../console/src/display.js";

describe("the console's durations", () => {
  it("reads in the two largest units, never negative", () => {
    expect(durationText(0)).toBe("0 s");
    expect(durationText(42_999)).toBe("42 s");
    expect(durationText(185_000)).toBe("3 min 05 s");
    expect(durationText(2 * 3600_000 + 3 * 60_000 + 59_000)).toBe("2 h 03 min");
    expect(durationText(3 * 86_400_000 + 4 * 3600_000)).toBe("3 d 4 h");
    expect(durationText(-5000)).toBe("0 s");
  });
});
