import { describe, expect, it } from "vitest";
import { conversationFilter } from "../console/src/list-filter.js";
import { readState, writeState, type ConsoleState } from "../console/src/url-state.js";

const DEFAULT: ConsoleState = { parent: "", tab: "conversations", state: "", stage: "", open: "" };

describe("the console's URL", () => {
  it("reads the parent with its slashes as typed, and defaults the rest", () => {
    expect(readState("?parent=projects/p/locations/global")).toEqual({ ...DEFAULT, parent: "projects/p/locations/global" });
    expect(readState("?parent=projects%2Fp")).toEqual({ ...DEFAULT, parent: "projects/p" });
    expect(readState("")).toEqual(DEFAULT);
  });

  it("ignores unknown tabs, states and stages instead of sending them to the service", () => {
    expect(readState("?tab=admin&state=DELETED&stage=1")).toEqual(DEFAULT);
    expect(readState("?tab=profiles&state=COMPLETED&stage=HUMAN_ASSIST_STAGE&open=c1")).toEqual({
      ...DEFAULT,
      tab: "profiles",
      state: "COMPLETED",
      stage: "HUMAN_ASSIST_STAGE",
      open: "c1",
    });
  });

  it("writes only what differs from the defaults, readably, and reads back what it wrote", () => {
    expect(writeState(DEFAULT)).toBe("");
    const state: ConsoleState = { parent: "projects/my.app:p/locations/global", tab: "profiles", state: "IN_PROGRESS", stage: "", open: "a b&c" };
    const written = writeState(state);
    expect(written).toBe("?parent=projects/my.app%3Ap/locations/global&tab=profiles&state=IN_PROGRESS&open=a%20b%26c");
    expect(readState(written)).toEqual(state);
  });
});

describe("the console's List filter", () => {
  it("joins the state and stage terms with AND, and is empty for any", () => {
    expect(conversationFilter("", "")).toBe("");
    expect(conversationFilter("COMPLETED", "")).toBe("lifecycle_state = COMPLETED");
    expect(conversationFilter("", "VIRTUAL_AGENT_STAGE")).toBe("conversation_stage = VIRTUAL_AGENT_STAGE");
    expect(conversationFilter("IN_PROGRESS", "HUMAN_ASSIST_STAGE")).toBe("lifecycle_state = IN_PROGRESS AND conversation_stage = HUMAN_ASSIST_STAGE");
  });
});
