import { InvalidFieldError } from "./errors.js";

// Rules for what a client writes on a participant and sends with a turn, as
// Google documents them in participant.proto and session.proto.

const ROLES: Readonly<Record<number, string>> = { 1: "HUMAN_AGENT", 2: "AUTOMATED_AGENT", 3: "END_USER" };
export const ROLE_END_USER = 3;

/** `role` is required on create: HUMAN_AGENT, AUTOMATED_AGENT or END_USER. */
export function checkRole(role: number, field: string): number {
  if (ROLES[role] === undefined) {
    throw new InvalidFieldError(
      field,
      role === 0 ? "is required; use HUMAN_AGENT, AUTOMATED_AGENT or END_USER" : `${role} is not a Participant.Role; use HUMAN_AGENT, AUTOMATED_AGENT or END_USER`,
      "ROLE_MISSING",
      { role: String(role) },
    );
  }
  return role;
}

/** "The length of the user id must be <= 256 characters." */
export const MAX_USER_ID = 256;

export function checkObfuscatedUserId(value: string, field: string): string {
  if (value.length > MAX_USER_ID) {
    throw new InvalidFieldError(field, `must be at most ${MAX_USER_ID} characters (it has ${value.length})`, "USER_ID_TOO_LONG", {
      length: String(value.length),
    });
  }
  return value;
}

/** "A unique identifier for this request. Restricted to 36 ASCII characters." */
export function checkRequestId(value: string, field: string): string {
  if (value.length > 36 || !/^[\x20-\x7e]*$/.test(value)) {
    throw new InvalidFieldError(field, "must be at most 36 printable ASCII characters; a random UUID is recommended", "INVALID_REQUEST_ID");
  }
  return value;
}

/** TextInput.text is required. */
export function checkText(value: string, field: string): string {
  if (value.trim() === "") throw new InvalidFieldError(field, "is required and must not be blank", "TEXT_MISSING");
  return value;
}
