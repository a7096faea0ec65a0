import { InvalidFieldError } from "./errors.js";

// Resource names in the two forms the public API accepts: with and without a
// location. Google documents the form without one as the global location, so
// both forms name the same resource (storedLocation); responses keep the form
// the caller used, so the location is kept as written ("" when absent).

/** `projects/{project}` or `projects/{project}/locations/{location}`. */
export interface ParentName {
  readonly project: string;
  readonly location: string;
}

/** A parent plus the ID of one child collection member. */
export interface ResourceName extends ParentName {
  readonly id: string;
}

// Project IDs may carry "." and ":" (domain-scoped projects such as
// "example.com:my-project"); locations may not.
const PROJECT_ID = /^[a-z0-9.:-]{1,63}$/;
const LOCATION_ID = /^[a-z0-9-]{1,63}$/;
const CHILD_ID = /^[a-zA-Z][a-zA-Z0-9_-]{2,63}$/;

export const CONVERSATIONS = "conversations";
export const CONVERSATION_PROFILES = "conversationProfiles";
export const PARTICIPANTS = "participants";
export const MESSAGES = "messages";

/**
 * A member of one of a conversation's collections (a participant, a message):
 * `{conversation name}/{collection}/{id}`, the conversation in either form.
 */
export interface ConversationChildName {
  readonly conversation: ResourceName;
  readonly id: string;
}

const PARENT_FORMS = "projects/{project} or projects/{project}/locations/{location}";

export function parseParent(value: string, field: string): ParentName {
  if (value === "") throw new InvalidFieldError(field, `is required; expected ${PARENT_FORMS}`, "PARENT_MISSING");
  const segments = value.split("/");
  if (segments.length === 2 && segments[0] === "projects") {
    return { project: checkProject(segments[1] ?? "", field), location: "" };
  }
  if (segments.length === 4 && segments[0] === "projects" && segments[2] === "locations") {
    return {
      project: checkProject(segments[1] ?? "", field),
      location: checkLocation(segments[3] ?? "", field),
    };
  }
  throw new InvalidFieldError(field, `"${abbreviate(value)}" is not a valid parent; expected ${PARENT_FORMS}`, "INVALID_PARENT", {
    value: abbreviate(value),
  });
}

/** Parses `{parent}/{collection}/{id}`, e.g. a conversation or profile name. */
export function parseResourceName(value: string, collection: string, field: string): ResourceName {
  const forms = `projects/{project}/${collection}/{id} or projects/{project}/locations/{location}/${collection}/{id}`;
  if (value === "") throw new InvalidFieldError(field, `is required; expected ${forms}`, "NAME_MISSING");
  const cut = value.lastIndexOf(`/${collection}/`);
  // Built only on failure: an Error captures a stack trace, too dear for every valid name.
  const invalid = () =>
    new InvalidFieldError(field, `"${abbreviate(value)}" is not a valid name; expected ${forms}`, "INVALID_NAME", { value: abbreviate(value) });
  if (cut < 0) throw invalid();
  const id = value.slice(cut + collection.length + 2);
  if (!CHILD_ID.test(id)) {
    throw invalidIdError(value, field);
  }
  let parent: ParentName;
  try {
    parent = parseParent(value.slice(0, cut), field);
  } catch {
    throw invalid();
  }
  return { ...parent, id };
}

/** Parses `{conversation}/{collection}/{id}`, e.g. a participant or message name. */
export function parseConversationChildName(value: string, collection: string, field: string): ConversationChildName {
  const forms =
    `projects/{project}/conversations/{conversation}/${collection}/{id} or ` +
    `projects/{project}/locations/{location}/conversations/{conversation}/${collection}/{id}`;
  if (value === "") throw new InvalidFieldError(field, `is required; expected ${forms}`, "NAME_MISSING");
  const invalid = () =>
    new InvalidFieldError(field, `"${abbreviate(value)}" is not a valid name; expected ${forms}`, "INVALID_NAME", { value: abbreviate(value) });
  const cut = value.lastIndexOf(`/${collection}/`);
  if (cut < 0) throw invalid();
  const id = value.slice(cut + collection.length + 2);
  let conversation: ResourceName;
  try {
    conversation = parseResourceName(value.slice(0, cut), CONVERSATIONS, field);
  } catch {
    throw invalid();
  }
  if (!CHILD_ID.test(id)) {
    throw invalidIdError(value, field);
  }
  return { conversation, id };
}

// A name whose last segment is not an ID (checkClientId's rule), for either kind of name.
function invalidIdError(value: string, field: string): InvalidFieldError {
  return new InvalidFieldError(
    field,
    `"${abbreviate(value)}" has an invalid ID; IDs are 3-64 characters of [a-zA-Z0-9_-] starting with a letter`,
    "INVALID_RESOURCE_ID",
    { value: abbreviate(value) },
  );
}

export function formatConversationChildName(name: ConversationChildName, collection: string): string {
  return `${formatResourceName(name.conversation, CONVERSATIONS)}/${collection}/${name.id}`;
}

/** What `projects/{project}/...` means: the global location. */
export const GLOBAL_LOCATION = "global";

/** The location a name is stored under, whichever form the caller wrote it in. */
export function storedLocation(name: ParentName): string {
  return name.location === "" ? GLOBAL_LOCATION : name.location;
}

/** A parent in its located form: equal for the two spellings of the same parent. */
export function canonicalParent(parent: ParentName): ParentName {
  return { project: parent.project, location: storedLocation(parent) };
}

/**
 * A profile reference in its located form, for comparing references written
 * either way (filters); text that is not a profile name is returned as is.
 */
export function canonicalProfileReference(value: string): string {
  return value.replace(/^(projects\/[^/]+)\/conversationProfiles\//, `$1/locations/${GLOBAL_LOCATION}/conversationProfiles/`);
}

export function formatParent(parent: ParentName): string {
  return parent.location === ""
    ? `projects/${parent.project}`
    : `projects/${parent.project}/locations/${parent.location}`;
}

export function formatResourceName(name: ResourceName, collection: string): string {
  return `${formatParent(name)}/${collection}/${name.id}`;
}

/** Checks an ID chosen by the client (AIP-122 style: starts with a letter, 3-64 characters). */
export function checkClientId(id: string, field: string): string {
  if (!CHILD_ID.test(id)) {
    throw new InvalidFieldError(
      field,
      `"${abbreviate(id)}" must match ^[a-zA-Z][a-zA-Z0-9_-]*$ and be 3 to 64 characters long`,
      "INVALID_RESOURCE_ID",
      { value: abbreviate(id) },
    );
  }
  return id;
}

/** A project ID as Google accepts them; INVALID_ARGUMENT naming `field` otherwise. */
export function checkProject(project: string, field: string): string {
  if (!PROJECT_ID.test(project)) {
    throw new InvalidFieldError(field, `project ID "${abbreviate(project)}" must be 1-63 characters of [a-z0-9-.:]`, "INVALID_PROJECT_ID", {
      project: abbreviate(project),
    });
  }
  return project;
}

function checkLocation(location: string, field: string): string {
  if (!LOCATION_ID.test(location)) {
    throw new InvalidFieldError(field, `location ID "${abbreviate(location)}" must be 1-63 characters of [a-z0-9-]`, "INVALID_LOCATION_ID", {
      location: abbreviate(location),
    });
  }
  return location;
}

// Error messages echo the offending value, but never a whole 10 kB of it.
function abbreviate(value: string): string {
  return value.length <= 80 ? value : `${value.slice(0, 77)}...`;
}
