import { describe, expect, it } from "vitest";
import { parseBootstrap } from "../src/domain/bootstrap.js";
import { InvalidFieldError } from "../src/domain/errors.js";

const valid = {
  conversationProfiles: [
    {
      parent: "projects/p/locations/global",
      id: "support",
      displayName: "Support",
      automatedAgentConfig: { agent: "projects/p/agent" },
      languageCode: "en-US",
      timeZone: "Europe/Paris",
      phoneNumbers: ["+15550100", "+442071838750"],
    },
    { parent: "projects/p", id: "sales", displayName: "Sales" },
  ],
};

function failure(json: unknown): InvalidFieldError {
  try {
    parseBootstrap(json);
  } catch (error) {
    if (error instanceof InvalidFieldError) return error;
    throw error;
  }
  throw new Error("expected the bootstrap to be refused");
}

const withProfile = (patch: Record<string, unknown>) => ({ conversationProfiles: [{ ...valid.conversationProfiles[0], ...patch }] });

describe("parseBootstrap", () => {
  it("reads profiles and numbers", () => {
    expect(parseBootstrap(valid)).toEqual([
      {
        name: { project: "p", location: "global", id: "support" },
        displayName: "Support",
        agent: "projects/p/agent",
        languageCode: "en-US",
        timeZone: "Europe/Paris",
        phoneNumbers: ["+15550100", "+442071838750"],
      },
      { name: { project: "p", location: "", id: "sales" }, displayName: "Sales", agent: "", languageCode: "", timeZone: "", phoneNumbers: [] },
    ]);
    expect(parseBootstrap({})).toEqual([]);
  });

  it.each([
    ["15550100", "$.conversationProfiles[0].phoneNumbers[0]", /E\.164/],
    ["+0123", "$.conversationProfiles[0].phoneNumbers[0]", /E\.164/],
    ["+1555 0100", "$.conversationProfiles[0].phoneNumbers[0]", /E\.164/],
    ["+1234567890123456", "$.conversationProfiles[0].phoneNumbers[0]", /E\.164/],
  ])("refuses the number %j", (number, path, rule) => {
    const error = failure(withProfile({ phoneNumbers: [number] }));
    expect(error.field).toBe(path);
    expect(error.rule).toMatch(rule);
  });

  it("refuses a number declared twice, even across profiles", () => {
    const error = failure({
      conversationProfiles: [
        { parent: "projects/p", id: "one", displayName: "One", phoneNumbers: ["+15550100"] },
        { parent: "projects/p", id: "two", displayName: "Two", phoneNumbers: ["+15550199", "+15550100"] },
      ],
    });
    expect(error.field).toBe("$.conversationProfiles[1].phoneNumbers[1]");
    expect(error.rule).toContain("$.conversationProfiles[0].phoneNumbers[0]");
  });

  it.each([
    [{ conversationProfiles: [], extra: 1 }, "$.extra"],
    [withProfile({ colour: "red" }), "$.conversationProfiles[0].colour"],
    [withProfile({ automatedAgentConfig: { agent: "projects/p/agent", ttl: 1 } }), "$.conversationProfiles[0].automatedAgentConfig.ttl"],
    [withProfile({ parent: "projects/P" }), "$.conversationProfiles[0].parent"],
    [withProfile({ id: "1x" }), "$.conversationProfiles[0].id"],
    [withProfile({ displayName: "" }), "$.conversationProfiles[0].displayName"],
    [withProfile({ displayName: undefined }), "$.conversationProfiles[0].displayName"],
    [withProfile({ languageCode: "english" }), "$.conversationProfiles[0].languageCode"],
    [withProfile({ timeZone: "Mars/Base" }), "$.conversationProfiles[0].timeZone"],
    [withProfile({ phoneNumbers: "+15550100" }), "$.conversationProfiles[0].phoneNumbers"],
    [{ conversationProfiles: {} }, "$.conversationProfiles"],
    [[], "$"],
  ])("names the path of what is wrong in %j", (json, path) => {
    expect(failure(json).field).toBe(path);
  });

  it("refuses the same profile declared twice", () => {
    const profile = valid.conversationProfiles[1];
    expect(failure({ conversationProfiles: [profile, profile] }).field).toBe("$.conversationProfiles[1].id");
  });
});
