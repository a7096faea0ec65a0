import { InvalidFieldError } from "./errors.js";
import { checkClientId, parseParent, type ResourceName } from "./names.js";
import { checkAgent, checkDisplayName, checkLanguageCode, checkTimeZone } from "./profile-fields.js";

// The bootstrap file declares conversation profiles and the telephony numbers
// attached to each, and agents' fulfillments. This module checks the profiles
// of one read from JSON; errors name the JSON path of the offending value.

export interface BootstrapProfile {
  readonly name: ResourceName;
  readonly displayName: string;
  readonly agent: string;
  readonly languageCode: string;
  readonly timeZone: string;
  readonly phoneNumbers: readonly string[];
}

const E164 = /^\+[1-9]\d{1,14}$/;
// fulfillments are read by parseBootstrapFulfillments (bootstrap-fulfillments.ts).
const TOP_FIELDS = ["conversationProfiles", "fulfillments"];
const PROFILE_FIELDS = ["parent", "id", "displayName", "automatedAgentConfig", "languageCode", "timeZone", "phoneNumbers"];

export function parseBootstrap(json: unknown): BootstrapProfile[] {
  const root = object(json, "$");
  allowOnly(root, TOP_FIELDS, "$");
  const list = root.conversationProfiles ?? [];
  if (!Array.isArray(list)) throw new InvalidFieldError("$.conversationProfiles", "must be an array");
  const owners = new Map<string, string>();
  const names = new Set<string>();
  return list.map((item: unknown, index) => {
    const path = `$.conversationProfiles[${index}]`;
    const profile = object(item, path);
    allowOnly(profile, PROFILE_FIELDS, path);
    const parent = parseParent(string(profile.parent, `${path}.parent`), `${path}.parent`);
    const id = checkClientId(string(profile.id, `${path}.id`), `${path}.id`);
    const key = `${parent.project}/${parent.location}/${id}`;
    if (names.has(key)) throw new InvalidFieldError(`${path}.id`, `declares the profile ${id} under this parent a second time`);
    names.add(key);
    const agentConfig = profile.automatedAgentConfig === undefined ? {} : object(profile.automatedAgentConfig, `${path}.automatedAgentConfig`);
    allowOnly(agentConfig, ["agent"], `${path}.automatedAgentConfig`);
    const phoneNumbers = profile.phoneNumbers ?? [];
    if (!Array.isArray(phoneNumbers)) throw new InvalidFieldError(`${path}.phoneNumbers`, "must be an array of E.164 numbers");
    const numbers = phoneNumbers.map((value: unknown, at) => {
      const numberPath = `${path}.phoneNumbers[${at}]`;
      const number = string(value, numberPath);
      if (!E164.test(number)) throw new InvalidFieldError(numberPath, `"${number.slice(0, 40)}" is not an E.164 number such as +15551234567`);
      const owner = owners.get(number);
      if (owner !== undefined) throw new InvalidFieldError(numberPath, `${number} is already declared at ${owner}`);
      owners.set(number, numberPath);
      return number;
    });
    return {
      name: { ...parent, id },
      displayName: checkDisplayName(string(profile.displayName, `${path}.displayName`), `${path}.displayName`),
      agent: checkAgent(optionalString(agentConfig.agent, `${path}.automatedAgentConfig.agent`), `${path}.automatedAgentConfig.agent`),
      languageCode: checkLanguageCode(optionalString(profile.languageCode, `${path}.languageCode`), `${path}.languageCode`),
      timeZone: checkTimeZone(optionalString(profile.timeZone, `${path}.timeZone`), `${path}.timeZone`),
      phoneNumbers: numbers,
    };
  });
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidFieldError(path, "must be a JSON object");
  return value as Record<string, unknown>;
}

function allowOnly(value: Record<string, unknown>, fields: readonly string[], path: string): void {
  const unknown = Object.keys(value).find((key) => !fields.includes(key));
  if (unknown !== undefined) throw new InvalidFieldError(`${path}.${unknown}`, `is not a known field; expected ${fields.join(", ")}`);
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") throw new InvalidFieldError(path, "is required and must be a string");
  return value;
}

function optionalString(value: unknown, path: string): string {
  return value === undefined ? "" : string(value, path);
}
