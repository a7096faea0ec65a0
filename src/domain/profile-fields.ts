import { InvalidFieldError } from "./errors.js";

// Rules for the settable fields of a conversation profile, shared by create
// and update so both accept exactly the same values.

const AGENT_NAME = /^projects\/[a-z0-9.:-]{1,63}(\/locations\/[a-z0-9-]{1,63})?\/agent$/;
const LANGUAGE_CODE = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/;
const MAX_DISPLAY_NAME = 1024;

export function checkDisplayName(value: string, field: string): string {
  if (value.trim() === "") throw new InvalidFieldError(field, "is required and must not be blank");
  if (value.length > MAX_DISPLAY_NAME) {
    throw new InvalidFieldError(field, `must be at most ${MAX_DISPLAY_NAME} characters (got ${value.length})`);
  }
  return value;
}

export function checkAgent(value: string, field: string): string {
  if (value !== "" && !AGENT_NAME.test(value)) {
    throw new InvalidFieldError(field, "must be projects/{project}/agent or projects/{project}/locations/{location}/agent");
  }
  return value;
}

export function checkLanguageCode(value: string, field: string): string {
  if (value !== "" && !LANGUAGE_CODE.test(value)) {
    throw new InvalidFieldError(field, `"${value.slice(0, 40)}" is not a BCP-47 language code such as "en-US"`);
  }
  return value;
}

export function checkTimeZone(value: string, field: string): string {
  if (value === "") return value;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return value;
  } catch {
    throw new InvalidFieldError(field, `"${value.slice(0, 40)}" is not an IANA time zone such as "Europe/Paris"`);
  }
}

/** The update_mask paths UpdateConversationProfile accepts, and the field each one writes. */
const MASK_PATHS = {
  display_name: "displayName",
  automated_agent_config: "agent",
  "automated_agent_config.agent": "agent",
  language_code: "languageCode",
  time_zone: "timeZone",
} as const;

export type ProfileField = (typeof MASK_PATHS)[keyof typeof MASK_PATHS];

/** Every settable field: what CreateConversationProfile writes. */
export const ALL_PROFILE_FIELDS: ReadonlySet<ProfileField> = new Set(Object.values(MASK_PATHS));

/** Reads an update mask into the set of fields to write; unknown or read-only paths are refused. */
export function parseProfileUpdateMask(paths: readonly string[]): Set<ProfileField> {
  if (paths.length === 0) {
    throw new InvalidFieldError("update_mask", `is required; list the fields to change (${Object.keys(MASK_PATHS).join(", ")})`);
  }
  const fields = new Set<ProfileField>();
  for (const path of paths) {
    // REST clients send camelCase paths; gRPC clients send snake_case.
    const normalized = path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    if (!Object.hasOwn(MASK_PATHS, normalized)) {
      throw new InvalidFieldError(
        "update_mask",
        `"${path.slice(0, 80)}" cannot be updated; updatable fields are ${Object.keys(MASK_PATHS).join(", ")}`,
      );
    }
    fields.add(MASK_PATHS[normalized as keyof typeof MASK_PATHS]);
  }
  return fields;
}
