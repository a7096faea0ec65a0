import { describe, expect, it } from "vitest";
import { InvalidFieldError } from "../src/domain/errors.js";
import { generateId } from "../src/domain/ids.js";
import { checkClientId } from "../src/domain/names.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "../src/domain/page-token.js";

describe("generateId", () => {
  it("makes URL-safe IDs of 22+ characters that start with a letter and pass the client ID rules", () => {
    const ids = Array.from({ length: 2000 }, generateId);
    for (const id of ids) {
      expect(id).toMatch(/^[a-zA-Z][a-zA-Z0-9_-]{21,}$/);
      expect(checkClientId(id, "conversation_id")).toBe(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("starts with both cases of letters over many draws (the first character is random too)", () => {
    const firsts = new Set(Array.from({ length: 2000 }, () => generateId()[0]));
    expect(firsts.size).toBeGreaterThan(30);
  });
});

describe("page tokens", () => {
  const secret = "s3cret";
  const scope = "projects/p\nlifecycle_state = COMPLETED";
  const cursor = { micros: 1_790_000_000_123_456, id: "conv-9" };

  it("round-trips a cursor", () => {
    expect(decodePageToken(encodePageToken(cursor, scope, secret), scope, secret)).toEqual(cursor);
  });

  it("is URL-safe and does not show the scope", () => {
    const token = encodePageToken(cursor, scope, secret);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(token).not.toContain("projects");
  });

  const reject = (token: string, tokenScope = scope, tokenSecret = secret) => {
    expect(() => decodePageToken(token, tokenScope, tokenSecret)).toThrow(InvalidFieldError);
  };

  it("refuses a token for another scope or signed with another secret", () => {
    const token = encodePageToken(cursor, scope, secret);
    reject(token, "projects/q\nlifecycle_state = COMPLETED");
    reject(token, "projects/p\n");
    reject(token, scope, "other");
  });

  it("refuses any single-character change", () => {
    const token = encodePageToken(cursor, scope, secret);
    for (let i = 0; i < token.length; i++) {
      const replacement = token[i] === "A" ? "B" : "A";
      const forged = `${token.slice(0, i)}${replacement}${token.slice(i + 1)}`;
      if (forged !== token && token[i] !== ".") reject(forged);
    }
  });

  it.each(["", ".", "abc", "a.b.c", "%%%.%%%", "x".repeat(10_000), "eyJ9.", "\u{1F600}.\u{1F600}"])("refuses the garbage %j", (token) => {
    reject(token);
  });

  it("names page_token in the error", () => {
    try {
      decodePageToken("junk", scope, secret);
    } catch (error) {
      expect((error as InvalidFieldError).field).toBe("page_token");
      return;
    }
    throw new Error("expected a failure");
  });
});

describe("effectivePageSize", () => {
  it.each([
    [0, 100],
    [1, 1],
    [100, 100],
    [999, 999],
    [1000, 1000],
    [1001, 1000],
    [2_147_483_647, 1000],
  ])("reads %i as %i", (requested, expected) => {
    expect(effectivePageSize(requested)).toBe(expected);
  });

  it.each([-1, -100, -2_147_483_648])("refuses %i", (requested) => {
    expect(() => effectivePageSize(requested)).toThrow(/page_size: must not be negative/);
  });
});
