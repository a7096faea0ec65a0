import { InvalidFieldError } from "./errors.js";

// Rules for the settable fields of a conversation profile, shared by create
// and update so both accept exactly the same values.

// The agent forms Google documents for AutomatedAgentConfig.agent: a
// Dialogflow ES agent, with or without a location and an environment ("-" is
// the draft), or a Dialogflow CX agent, with or without an environment.
const PROJECT = "projects/[a-z0-9.:-]{1,63}";
const LOCATION = "locations/[a-z0-9-]{1,63}";
const RESOURCE_ID = "[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}";
const ES_AGENT = new RegExp(`^${PROJECT}(/${LOCATION})?/agent(/environments/(${RESOURCE_ID}|-))?$`);
const CX_AGENT = new RegExp(`^${PROJECT}/${LOCATION}/agents/${RESOURCE_ID}(/environments/${RESOURCE_ID})?$`);
export const AGENT_FORMS =
  "projects/{project}[/locations/{location}]/agent[/environments/{environment or -}] (Dialogflow ES) or " +
  "projects/{project}/locations/{location}/agents/{agent}[/environments/{environment}] (Dialogflow CX)";
const LANGUAGE_CODE = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/;
const MAX_DISPLAY_NAME = 1024;

export function checkDisplayName(value: string, field: string): string {
  if (value.trim() === "") throw new InvalidFieldError(field, "is required and must not be blank", "DISPLAY_NAME_MISSING");
  if (value.length > MAX_DISPLAY_NAME) {
    throw new InvalidFieldError(field, `must be at most ${MAX_DISPLAY_NAME} characters (got ${value.length})`, "DISPLAY_NAME_TOO_LONG", {
      length: String(value.length),
    });
  }
  return value;
}

export function checkAgent(value: string, field: string): string {
  if (value !== "" && !ES_AGENT.test(value) && !CX_AGENT.test(value)) {
    throw new InvalidFieldError(field, `"${value.slice(0, 120)}" is not an agent name; expected ${AGENT_FORMS}`, "INVALID_AGENT_NAME", {
      agent: value.slice(0, 200),
    });
  }
  return value;
}

export function checkLanguageCode(value: string, field: string): string {
  if (value !== "" && !LANGUAGE_CODE.test(value)) {
    throw new InvalidFieldError(field, `"${value.slice(0, 40)}" is not a BCP-47 language code such as "en-US"`, "INVALID_LANGUAGE_CODE", {
      languageCode: value.slice(0, 40),
    });
  }
  return value;
}

export function checkTimeZone(value: string, field: string): string {
  if (value === "") return value;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return value;
  } catch {
    throw new InvalidFieldError(field, `"${value.slice(0, 40)}" is not an IANA time zone such as "Europe/Paris"`, "INVALID_TIME_ZONE", {
      timeZone: value.slice(0, 40),
    });
  }
}

/** The fields with rules of their own, and how to read each from a profile. */
const CHECKED_FIELDS: readonly [path: string, check: (profile: ProfileValues) => void][] = [
  ["display_name", (profile) => checkDisplayName(profile.displayName, "conversation_profile.display_name")],
  ["automated_agent_config.agent", (profile) => checkAgent(profile.automatedAgentConfig?.agent ?? "", "conversation_profile.automated_agent_config.agent")],
  ["language_code", (profile) => checkLanguageCode(profile.languageCode, "conversation_profile.language_code")],
  ["time_zone", (profile) => checkTimeZone(profile.timeZone, "conversation_profile.time_zone")],
];

/** The parts of a ConversationProfile message that have rules here. */
export interface ProfileValues {
  readonly displayName: string;
  readonly automatedAgentConfig?: { readonly agent: string };
  readonly languageCode: string;
  readonly timeZone: string;
}

/**
 * Checks the fields about to be written: all of them on create, those an
 * update mask names (or contains) on update. Other fields Google defines are
 * stored as sent.
 */
export function checkProfileFields(profile: ProfileValues, isWritten: (protoPath: string) => boolean): void {
  for (const [path, check] of CHECKED_FIELDS) if (isWritten(path)) check(profile);
}
