import { describe, expect, it } from "vitest";
import type { Principal } from "../src/auth/principal.js";
import { createVerifiedTokens } from "../src/auth/verified-tokens.js";

const alice: Principal = { name: "jwt:alice", projects: new Set(["alpha"]), role: "editor" };
const bob: Principal = { name: "jwt:bob", projects: "*", role: "reader" };

/** A clock the test moves by hand, starting at a whole second. */
function manualClock(start = 1_767_225_600_000) {
  let at = start;
  return { now: () => at, advance: (ms: number) => void (at += ms), seconds: (offset = 0) => Math.floor(at / 1000) + offset };
}

describe("verified tokens", () => {
  it("recalls the principal of a remembered token, and nothing for one never remembered", () => {
    const clock = manualClock();
    const tokens = createVerifiedTokens({ now: clock.now });
    tokens.remember("token-a", alice, { exp: clock.seconds(300) });
    expect(tokens.recall("token-a")).toBe(alice);
    expect(tokens.recall("token-b")).toBeUndefined();
  });

  it("forgets a token at its exp, without the verifier's clock tolerance", () => {
    const clock = manualClock();
    const tokens = createVerifiedTokens({ now: clock.now, maxAgeMs: 3_600_000 });
    tokens.remember("token-a", alice, { exp: clock.seconds(10) });
    clock.advance(9_999);
    expect(tokens.recall("token-a")).toBe(alice);
    clock.advance(1);
    expect(tokens.recall("token-a")).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it("forgets a token after maxAgeMs even when its exp is far off", () => {
    const clock = manualClock();
    const tokens = createVerifiedTokens({ now: clock.now, maxAgeMs: 60_000 });
    tokens.remember("token-a", alice, { exp: clock.seconds(3600) });
    clock.advance(59_999);
    expect(tokens.recall("token-a")).toBe(alice);
    clock.advance(1);
    expect(tokens.recall("token-a")).toBeUndefined();
  });

  it("does not remember a token already past its exp, or one without exp", () => {
    const clock = manualClock();
    const tokens = createVerifiedTokens({ now: clock.now });
    // Accepted by a verifier within its clock tolerance, but expired by the token's own word.
    tokens.remember("token-a", alice, { exp: clock.seconds(-10) });
    tokens.remember("token-b", alice, {});
    expect(tokens.recall("token-a")).toBeUndefined();
    expect(tokens.recall("token-b")).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it("does not answer for a token before its nbf", () => {
    const clock = manualClock();
    const tokens = createVerifiedTokens({ now: clock.now });
    // Accepted by a verifier 20 s early, within its clock tolerance.
    tokens.remember("token-a", alice, { exp: clock.seconds(300), nbf: clock.seconds(20) });
    expect(tokens.recall("token-a")).toBeUndefined();
    clock.advance(20_000);
    expect(tokens.recall("token-a")).toBe(alice);
  });

  it("does not remember a token longer than maxTokenLength", () => {
    const clock = manualClock();
    const tokens = createVerifiedTokens({ now: clock.now, maxTokenLength: 8 });
    tokens.remember("12345678", alice, { exp: clock.seconds(300) });
    tokens.remember("123456789", bob, { exp: clock.seconds(300) });
    expect(tokens.recall("12345678")).toBe(alice);
    expect(tokens.recall("123456789")).toBeUndefined();
    expect(tokens.size).toBe(1);
  });

  it("holds at most maxEntries tokens, forgetting the oldest first", () => {
    const clock = manualClock();
    const tokens = createVerifiedTokens({ now: clock.now, maxEntries: 3 });
    const exp = clock.seconds(300);
    for (const token of ["t1", "t2", "t3", "t4", "t5"]) tokens.remember(token, alice, { exp });
    expect(tokens.size).toBe(3);
    expect(["t1", "t2", "t3", "t4", "t5"].map((token) => tokens.recall(token) !== undefined)).toEqual([false, false, true, true, true]);
  });

  it("counts a token remembered again as the newest, with its latest principal", () => {
    const clock = manualClock();
    const tokens = createVerifiedTokens({ now: clock.now, maxEntries: 2 });
    const exp = clock.seconds(300);
    tokens.remember("t1", alice, { exp });
    tokens.remember("t2", alice, { exp });
    tokens.remember("t1", bob, { exp });
    tokens.remember("t3", alice, { exp });
    expect(tokens.recall("t2")).toBeUndefined();
    expect(tokens.recall("t1")).toBe(bob);
    expect(tokens.recall("t3")).toBe(alice);
  });

  it("forgets every token when cleared", () => {
    const clock = manualClock();
    const tokens = createVerifiedTokens({ now: clock.now });
    tokens.remember("t1", alice, { exp: clock.seconds(300) });
    tokens.remember("t2", bob, { exp: clock.seconds(300) });
    tokens.clear();
    expect(tokens.size).toBe(0);
    expect(tokens.recall("t1")).toBeUndefined();
    expect(tokens.recall("t2")).toBeUndefined();
  });
});
