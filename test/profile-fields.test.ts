import { describe, expect, it } from "vitest";
import {
  checkAgent,
  checkDisplayName,
  checkLanguageCode,
  checkTimeZone,
  parseProfileUpdateMask,
} from "../src/domain/profile-fields.js";

describe("profile field rules", () => {
  it.each(["projects/p/agent", "projects/p/locations/global/agent", "projects/example.com:p/agent", ""])("accepts the agent %j", (agent) => {
    expect(checkAgent(agent, "f")).toBe(agent);
  });

  it.each(["agent", "projects/p", "projects/p/agents/1", "projects/P/agent", "projects/p/locations/l/agent/x"])(
    "refuses the agent %j",
    (agent) => {
      expect(() => checkAgent(agent, "f")).toThrow(/^f: /);
    },
  );

  it.each(["en", "en-US", "pt-BR", "zh-Hant-TW", ""])("accepts the language %j", (code) => {
    expect(checkLanguageCode(code, "f")).toBe(code);
  });

  it.each(["e", "english", "en_US", "en-", "12"])("refuses the language %j", (code) => {
    expect(() => checkLanguageCode(code, "f")).toThrow(/BCP-47/);
  });

  it.each(["Europe/Paris", "America/New_York", "UTC", ""])("accepts the time zone %j", (zone) => {
    expect(checkTimeZone(zone, "f")).toBe(zone);
  });

  it.each(["Mars/Olympus", "Paris", "+02:00x"])("refuses the time zone %j", (zone) => {
    expect(() => checkTimeZone(zone, "f")).toThrow(/IANA/);
  });

  it("requires a display name of at most 1024 characters", () => {
    expect(checkDisplayName("x".repeat(1024), "f")).toHaveLength(1024);
    expect(() => checkDisplayName("", "f")).toThrow(/required/);
    expect(() => checkDisplayName(" \t", "f")).toThrow(/required/);
    expect(() => checkDisplayName("x".repeat(1025), "f")).toThrow(/1024/);
  });
});

describe("parseProfileUpdateMask", () => {
  it("maps snake_case and camelCase paths to fields", () => {
    expect(parseProfileUpdateMask(["display_name", "languageCode", "timeZone", "automated_agent_config.agent"])).toEqual(
      new Set(["displayName", "languageCode", "timeZone", "agent"]),
    );
    expect(parseProfileUpdateMask(["automatedAgentConfig"])).toEqual(new Set(["agent"]));
  });

  it.each([[[]], [["name"]], [["create_time"]], [["update_time"]], [["display_name", "bogus"]], [["automated_agent_config.session_ttl"]]])(
    "refuses the mask %j",
    (paths) => {
      expect(() => parseProfileUpdateMask(paths)).toThrow(/^update_mask: /);
    },
  );
});
