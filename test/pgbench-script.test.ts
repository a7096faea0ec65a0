import { describe, expect, it } from "vitest";
import { withoutColonsInLiterals } from "../bench/pgbench.js";

// The bench's pgbench script: a colon inside a string literal would be taken
// for a pgbench variable; casts and parameters outside literals stay as they are.

describe("withoutColonsInLiterals", () => {
  it("spells a colon inside a literal as chr(58)", () => {
    expect(withoutColonsInLiterals("SELECT to_char(t, 'HH24:MI:SS')")).toBe("SELECT to_char(t, ('HH24' || chr(58) || 'MI' || chr(58) || 'SS'))");
  });

  it("leaves casts, variables and literals without colons alone", () => {
    const sql = "SELECT (:p1)::text, 'YYYY-MM-DD', x::int FROM t WHERE a = (:p2)::integer";
    expect(withoutColonsInLiterals(sql)).toBe(sql);
  });

  it("keeps doubled quotes inside a literal", () => {
    expect(withoutColonsInLiterals("SELECT 'it''s 10:30', 'b'")).toBe("SELECT ('it''s 10' || chr(58) || '30'), 'b'");
  });

  it("handles a colon at either end of a literal", () => {
    expect(withoutColonsInLiterals("SELECT ':a:'")).toBe("SELECT ('' || chr(58) || 'a' || chr(58) || '')");
  });
});
