import { describe, expect, it } from "vitest";
import { InvalidFieldError } from "../src/domain/errors.js";
import {
  MESSAGES,
  PARTICIPANTS,
  formatConversationChildName,
  parseConversationChildName,
  storedLocation,
} from "../src/domain/names.js";

// Participant and message names: a conversation name in either form, then the
// collection and an ID. Responses keep the form the caller wrote.

function violation(run: () => unknown): InvalidFieldError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidFieldError) return error;
    throw error;
  }
  throw new Error("expected an InvalidFieldError");
}

describe("parseConversationChildName", () => {
  it.each([
    ["projects/p/conversations/abc/participants/xyz", { conversation: { project: "p", location: "", id: "abc" }, id: "xyz" }],
    ["projects/p/locations/global/conversations/abc/participants/xyz", { conversation: { project: "p", location: "global", id: "abc" }, id: "xyz" }],
    ["projects/example.com:p/locations/europe-west1/conversations/C_1-x/participants/Aa0_-", {
      conversation: { project: "example.com:p", location: "europe-west1", id: "C_1-x" },
      id: "Aa0_-",
    }],
    [`projects/p/conversations/abc/participants/${"a".repeat(64)}`, { conversation: { project: "p", location: "", id: "abc" }, id: "a".repeat(64) }],
  ])("reads %s and formats it back as written", (text, expected) => {
    const name = parseConversationChildName(text, PARTICIPANTS, "name");
    expect(name).toEqual(expected);
    expect(formatConversationChildName(name, PARTICIPANTS)).toBe(text);
  });

  it("reads both forms of a global name as the same stored key", () => {
    const short = parseConversationChildName("projects/p/conversations/abc/participants/xyz", PARTICIPANTS, "name");
    const located = parseConversationChildName("projects/p/locations/global/conversations/abc/participants/xyz", PARTICIPANTS, "name");
    expect([storedLocation(short.conversation), short.conversation.id, short.id]).toEqual([storedLocation(located.conversation), located.conversation.id, located.id]);
  });

  it("reads message names with their collection", () => {
    const name = parseConversationChildName("projects/p/locations/l/conversations/abc/messages/m12", MESSAGES, "name");
    expect(name).toEqual({ conversation: { project: "p", location: "l", id: "abc" }, id: "m12" });
    expect(formatConversationChildName(name, MESSAGES)).toBe("projects/p/locations/l/conversations/abc/messages/m12");
  });

  it.each([
    ["", "NAME_MISSING"],
    ["projects/p/conversations/abc", "INVALID_NAME"],
    ["projects/p/conversations/abc/participants", "INVALID_NAME"],
    ["projects/p/conversations/abc/participants/", "INVALID_RESOURCE_ID"],
    ["projects/p/conversations/abc/participants/ab", "INVALID_RESOURCE_ID"],
    ["projects/p/conversations/abc/participants/1ab", "INVALID_RESOURCE_ID"],
    ["projects/p/conversations/abc/participants/x.y.z", "INVALID_RESOURCE_ID"],
    [`projects/p/conversations/abc/participants/${"a".repeat(65)}`, "INVALID_RESOURCE_ID"],
    ["projects/p/conversations/abc/participants/xyz/extra", "INVALID_RESOURCE_ID"],
    ["projects/p/conversations/abc/messages/xyz", "INVALID_NAME"],
    ["projects/p/conversations/ab/participants/xyz", "INVALID_NAME"],
    ["projects/P/conversations/abc/participants/xyz", "INVALID_NAME"],
    ["projects/p/locations/conversations/abc/participants/xyz", "INVALID_NAME"],
    ["projects/p/locations/L/conversations/abc/participants/xyz", "INVALID_NAME"],
    ["projects/p/conversationProfiles/abc/participants/xyz", "INVALID_NAME"],
    ["conversations/abc/participants/xyz", "INVALID_NAME"],
    ["/projects/p/conversations/abc/participants/xyz", "INVALID_NAME"],
    ["projects/p/conversations/abc/participants/participants/xyz", "INVALID_NAME"],
    ["projects/p'; DROP TABLE messages; --/conversations/abc/participants/xyz", "INVALID_NAME"],
  ])("refuses %j (%s), naming the field", (text, reason) => {
    const error = violation(() => parseConversationChildName(text, PARTICIPANTS, "participant"));
    expect(error.field).toBe("participant");
    expect(error.reason).toBe(reason);
    expect(error.rule).toContain("participants");
  });

  it("abbreviates a 10 kB value in the message", () => {
    const error = violation(() => parseConversationChildName(`projects/p/conversations/abc/participants/${"y".repeat(10_000)}`, PARTICIPANTS, "name"));
    expect(error.rule.length).toBeLessThan(400);
  });
});
