import { describe, expect, it } from "vitest";
import { InvalidFieldError } from "../src/domain/errors.js";
import {
  CONVERSATIONS,
  CONVERSATION_PROFILES,
  canonicalParent,
  canonicalProfileReference,
  checkClientId,
  formatParent,
  formatFulfillmentName,
  formatResourceName,
  parseEsAgent,
  parseFulfillmentName,
  parseParent,
  parseResourceName,
  storedLocation,
} from "../src/domain/names.js";

function violation(run: () => unknown): InvalidFieldError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidFieldError) return error;
    throw error;
  }
  throw new Error("expected an InvalidFieldError");
}

describe("parseParent", () => {
  it.each([
    ["projects/p", { project: "p", location: "" }],
    ["projects/my-project-1", { project: "my-project-1", location: "" }],
    ["projects/example.com:proj", { project: "example.com:proj", location: "" }],
    ["projects/p/locations/global", { project: "p", location: "global" }],
    ["projects/p/locations/europe-west1", { project: "p", location: "europe-west1" }],
    [`projects/${"a".repeat(63)}/locations/${"b".repeat(63)}`, { project: "a".repeat(63), location: "b".repeat(63) }],
  ])("reads %s", (text, expected) => {
    expect(parseParent(text, "parent")).toEqual(expected);
    expect(formatParent(parseParent(text, "parent"))).toBe(text);
  });

  it.each([
    "",
    "projects",
    "projects/",
    "projects//locations/l",
    "project/p",
    "Projects/p",
    "projects/P",
    "projects/p_q",
    "projects/p q",
    "projects/p/locations",
    "projects/p/locations/",
    "projects/p/locations/L",
    "projects/p/locations/a.b",
    "projects/p/locations/a:b",
    "projects/p/zones/z",
    "projects/p/locations/l/x",
    "/projects/p",
    "projects/p/",
    `projects/${"a".repeat(64)}`,
    `projects/p/locations/${"b".repeat(64)}`,
    "projects/p'; DROP TABLE conversations; --",
    "projects/ρ",
    "projects/p\u0000",
  ])("refuses %j, naming the field", (text) => {
    const error = violation(() => parseParent(text, "parent"));
    expect(error.field).toBe("parent");
    expect(error.rule.length).toBeGreaterThan(10);
  });

  it("abbreviates a 10 kB value in the message", () => {
    const error = violation(() => parseParent(`x${"y".repeat(10_000)}`, "parent"));
    expect(error.rule.length).toBeLessThan(300);
  });
});

describe("parseResourceName", () => {
  it.each([
    ["projects/p/conversations/abc", { project: "p", location: "", id: "abc" }],
    ["projects/p/locations/l/conversations/A_b-1", { project: "p", location: "l", id: "A_b-1" }],
  ])("reads %s", (text, expected) => {
    const name = parseResourceName(text, CONVERSATIONS, "name");
    expect(name).toEqual(expected);
    expect(formatResourceName(name, CONVERSATIONS)).toBe(text);
  });

  it.each([
    "",
    "projects/p/conversations",
    "projects/p/conversations/",
    "projects/p/conversations/ab",
    "projects/p/conversations/1ab",
    "projects/p/conversations/abc/extra",
    "projects/p/conversationProfiles/abc",
    "projects/P/conversations/abc",
    "conversations/abc",
    "projects/p/locations/conversations/abc",
    `projects/p/conversations/${"a".repeat(65)}`,
  ])("refuses %j", (text) => {
    expect(violation(() => parseResourceName(text, CONVERSATIONS, "name")).field).toBe("name");
  });

  it("reads profile names with the collection given", () => {
    expect(parseResourceName("projects/p/locations/l/conversationProfiles/xyz", CONVERSATION_PROFILES, "f")).toEqual({
      project: "p",
      location: "l",
      id: "xyz",
    });
    expect(violation(() => parseResourceName("projects/p/conversations/xyz", CONVERSATION_PROFILES, "f")).field).toBe("f");
  });
});

describe("checkClientId", () => {
  it.each(["abc", "a12", "A-b_c", `a${"b".repeat(63)}`])("accepts %j", (id) => {
    expect(checkClientId(id, "conversation_id")).toBe(id);
  });

  it.each(["", "ab", "1ab", "_ab", "-ab", "a b", "a.b", "a/b", "é12", "ab\u0000", `a${"b".repeat(64)}`])("refuses %j", (id) => {
    expect(violation(() => checkClientId(id, "conversation_id")).field).toBe("conversation_id");
  });
});

describe("the global location", () => {
  it("stores the project-level form under the global location, and every other location as written", () => {
    expect(storedLocation(parseParent("projects/p", "parent"))).toBe("global");
    expect(storedLocation(parseParent("projects/p/locations/global", "parent"))).toBe("global");
    expect(storedLocation(parseParent("projects/p/locations/us-central1", "parent"))).toBe("us-central1");
    expect(canonicalParent(parseParent("projects/p", "parent"))).toEqual(canonicalParent(parseParent("projects/p/locations/global", "parent")));
    expect(formatParent(canonicalParent(parseParent("projects/p", "parent")))).toBe("projects/p/locations/global");
  });

  it.each([
    ["projects/p/conversationProfiles/x", "projects/p/locations/global/conversationProfiles/x"],
    ["projects/p/locations/global/conversationProfiles/x", "projects/p/locations/global/conversationProfiles/x"],
    ["projects/p/locations/eu/conversationProfiles/x", "projects/p/locations/eu/conversationProfiles/x"],
    ["projects/a.b:c/conversationProfiles/x", "projects/a.b:c/locations/global/conversationProfiles/x"],
    ["not a name", "not a name"],
    ["", ""],
  ])("writes the profile reference %j in its located form", (value, expected) => {
    expect(canonicalProfileReference(value)).toBe(expected);
  });
});

describe("parseFulfillmentName", () => {
  it.each([
    ["projects/p/agent/fulfillment", { project: "p", location: "" }],
    ["projects/example.com:p/locations/europe-west1/agent/fulfillment", { project: "example.com:p", location: "europe-west1" }],
  ])("reads the agent of %s and formats it back as written", (text, expected) => {
    expect(parseFulfillmentName(text, "name")).toEqual(expected);
    expect(formatFulfillmentName(parseFulfillmentName(text, "name"))).toBe(text);
  });

  it.each([
    ["", "NAME_MISSING"],
    ["projects/p", "INVALID_NAME"],
    ["projects/p/agent", "INVALID_NAME"],
    ["projects/p/agent/fulfillment/x", "INVALID_NAME"],
    ["projects/P/agent/fulfillment", "INVALID_NAME"],
    ["projects/p/locations/L/agent/fulfillment", "INVALID_NAME"],
    ["projects/p/locations/agent/fulfillment", "INVALID_NAME"],
    ["/agent/fulfillment", "INVALID_NAME"],
  ])("refuses %j (%s), naming the field and the forms", (text, reason) => {
    const error = violation(() => parseFulfillmentName(text, "fulfillment.name"));
    expect(error.field).toBe("fulfillment.name");
    expect(error.reason).toBe(reason);
    expect(error.rule).toContain("projects/{project}/agent/fulfillment");
  });

  it("echoes the value it refuses, abbreviated", () => {
    const error = violation(() => parseFulfillmentName(`projects/${"p".repeat(10_000)}/agent/fulfillment`, "name"));
    expect(error.rule.length).toBeLessThan(300);
    expect(error.metadata.value).toHaveLength(80);
  });
});

describe("parseEsAgent", () => {
  it.each([
    ["projects/p/agent", { parent: { project: "p", location: "" }, environment: undefined }],
    ["projects/p/locations/eu/agent", { parent: { project: "p", location: "eu" }, environment: undefined }],
    ["projects/p/agent/environments/-", { parent: { project: "p", location: "" }, environment: undefined }],
    ["projects/p/locations/global/agent/environments/prod", { parent: { project: "p", location: "global" }, environment: "prod" }],
  ])("reads %s", (text, expected) => {
    expect(parseEsAgent(text)).toEqual(expected);
  });

  it.each([
    "",
    "projects/p/locations/l/agents/a",
    "projects/p/agent/environments/",
    "projects/p/agent/environments/a/b",
    "projects/P/agent",
    "projects/p/locations/L/agent",
    "projects/p/zones/z/agent",
  ])("reads %j as no ES agent", (text) => {
    expect(parseEsAgent(text)).toBeUndefined();
  });
});
