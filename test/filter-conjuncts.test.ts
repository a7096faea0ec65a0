import { describe, expect, it } from "vitest";
import { conjuncts, parseFilter } from "../src/domain/filter.js";

/** The conjuncts of `text`, each written back as a filter. */
function termsOf(text: string): string[] {
  return conjuncts(parseFilter(text)!).map(write);
}

function write(expr: ReturnType<typeof conjuncts>[number]): string {
  switch (expr.kind) {
    case "and":
    case "or":
      return `(${write(expr.left)} ${expr.kind.toUpperCase()} ${write(expr.right)})`;
    case "not":
      return `NOT ${write(expr.operand)}`;
    case "compare":
      return `${expr.field} ${expr.op} ${expr.value.value}`;
  }
}

// The terms every match must satisfy, from which a store picks an index range.
describe("conjuncts", () => {
  it("splits a filter at its top-level ANDs, explicit or implicit", () => {
    expect(termsOf("lifecycle_state = IN_PROGRESS AND conversation_stage = HUMAN_ASSIST_STAGE conversation_stage != VIRTUAL_AGENT_STAGE")).toEqual([
      "lifecycle_state = 1",
      "conversation_stage = 2",
      "conversation_stage != 1",
    ]);
  });

  it("keeps an OR whole: neither side is required", () => {
    expect(termsOf("lifecycle_state = IN_PROGRESS OR conversation_stage = HUMAN_ASSIST_STAGE")).toEqual(["(lifecycle_state = 1 OR conversation_stage = 2)"]);
  });

  it("pushes NOT into comparisons by negating the operator", () => {
    expect(termsOf('NOT lifecycle_state = COMPLETED AND -start_time < "2024-01-01T00:00:00Z" AND NOT end_time >= "2024-01-01T00:00:00Z"')).toEqual([
      "lifecycle_state != 2",
      "start_time >= 2024-01-01T00:00:00Z",
      "end_time < 2024-01-01T00:00:00Z",
    ]);
  });

  it("turns NOT of an OR into the AND of the negations, and drops double negation", () => {
    expect(termsOf('NOT (lifecycle_state = COMPLETED OR start_time > "2024-01-01T00:00:00Z") AND NOT NOT conversation_stage = HUMAN_ASSIST_STAGE')).toEqual([
      "lifecycle_state != 2",
      "start_time <= 2024-01-01T00:00:00Z",
      "conversation_stage = 2",
    ]);
  });

  it("keeps NOT of an AND whole: it requires no single term", () => {
    expect(termsOf("NOT (lifecycle_state = COMPLETED AND conversation_stage = HUMAN_ASSIST_STAGE)")).toEqual([
      "NOT (lifecycle_state = 2 AND conversation_stage = 2)",
    ]);
  });
});
