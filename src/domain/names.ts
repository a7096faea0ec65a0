import { InvalidFieldError } from "./errors.js";

// Every resource name of the API is parsed and formatted here. Each nests in
// the one above it, down to a parent:
//
//   parent        projects/{project} or projects/{project}/locations/{location}
//   conversation  {parent}/conversations/{id}             ResourceName
//   profile       {parent}/conversationProfiles/{id}      ResourceName
//   participant   {conversation}/participants/{id}        ConversationChildName
//   message       {conversation}/messages/{id}            ConversationChildName
//   fulfillment   {parent}/agent/fulfillment              the agent's ParentName
//   ES agent      {parent}/agent[/environments/{env}]     EsAgent
//
// Google documents the form without a location as the global location, so
// both forms name the same resource (storedLocation); responses keep the form
// the caller used, so the location is kept as written ("" when absent).
//
// A name is parsed on every call: a valid one is read by indexOf and slices,
// with no regex but its IDs' and no Error, whose stack trace is built only on failure.

/** `projects/{project}` or `projects/{project}/locations/{location}`. */
export interface ParentName {
  readonly project: string;
  readonly location: string;
}

/** A parent plus the ID of one child collection member. */
export interface ResourceName extends ParentName {
  readonly id: string;
}

/**
 * A member of one of a conversation's collections (a participant, a message):
 * `{conversation name}/{collection}/{id}`, the conversation in either form.
 */
export interface ConversationChildName {
  readonly conversation: ResourceName;
  readonly id: string;
}

/** An ES agent, as a profile names it (automated_agent_config.agent). */
export interface EsAgent {
  /** The project and location of the agent, as written. */
  readonly parent: ParentName;
  /** The environment the profile names; undefined for the draft (none, or "-"). */
  readonly environment: string | undefined;
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

/** What `projects/{project}/...` means: the global location. */
export const GLOBAL_LOCATION = "global";

const PROJECTS = "projects/";
const LOCATIONS = "locations/";
const FULFILLMENT_SUFFIX = "/agent/fulfillment";
const PARENT_FORMS = "projects/{project} or projects/{project}/locations/{location}";
const FULFILLMENT_FORMS = "projects/{project}/agent/fulfillment or projects/{project}/locations/{location}/agent/fulfillment";
// ES agents, projects/P[/locations/L]/agent[/environments/E]; the parent is checked as any other.
const ES_AGENT = /^(projects\/[^/]+(?:\/locations\/[^/]+)?)\/agent(?:\/environments\/([^/]+))?$/;

export function parseParent(value: string, field: string): ParentName {
  if (value === "") throw new InvalidFieldError(field, `is required; expected ${PARENT_FORMS}`, "PARENT_MISSING");
  if (value.startsWith(PROJECTS)) {
    const slash = value.indexOf("/", PROJECTS.length);
    if (slash < 0) return { project: checkProject(value.slice(PROJECTS.length), field), location: "" };
    const location = slash + 1 + LOCATIONS.length;
    if (value.startsWith(LOCATIONS, slash + 1) && value.indexOf("/", location) < 0) {
      return { project: checkProject(value.slice(PROJECTS.length, slash), field), location: checkLocation(value.slice(location), field) };
    }
  }
  throw new InvalidFieldError(field, `"${abbreviate(value)}" is not a valid parent; expected ${PARENT_FORMS}`, "INVALID_PARENT", {
    value: abbreviate(value),
  });
}

export function formatParent(parent: ParentName): string {
  return parent.location === "" ? `projects/${parent.project}` : `projects/${parent.project}/locations/${parent.location}`;
}

/** Parses `{parent}/{collection}/{id}`, e.g. a conversation or profile name. */
export function parseResourceName(value: string, collection: string, field: string): ResourceName {
  if (value === "") throw new InvalidFieldError(field, `is required; expected ${resourceForms(collection)}`, "NAME_MISSING");
  const cut = value.lastIndexOf(`/${collection}/`);
  if (cut < 0) throw invalidName(value, field, resourceForms(collection));
  const id = value.slice(cut + collection.length + 2);
  if (!CHILD_ID.test(id)) throw invalidIdError(value, field);
  let parent: ParentName;
  try {
    parent = parseParent(value.slice(0, cut), field);
  } catch {
    throw invalidName(value, field, resourceForms(collection));
  }
  return { project: parent.project, location: parent.location, id };
}

export function formatResourceName(name: ResourceName, collection: string): string {
  return `${formatParent(name)}/${collection}/${name.id}`;
}

/** Parses `{conversation}/{collection}/{id}`, e.g. a participant or message name. */
export function parseConversationChildName(value: string, collection: string, field: string): ConversationChildName {
  if (value === "") throw new InvalidFieldError(field, `is required; expected ${conversationChildForms(collection)}`, "NAME_MISSING");
  const cut = value.lastIndexOf(`/${collection}/`);
  if (cut < 0) throw invalidName(value, field, conversationChildForms(collection));
  const id = value.slice(cut + collection.length + 2);
  let conversation: ResourceName;
  try {
    conversation = parseResourceName(value.slice(0, cut), CONVERSATIONS, field);
  } catch {
    throw invalidName(value, field, conversationChildForms(collection));
  }
  if (!CHILD_ID.test(id)) throw invalidIdError(value, field);
  return { conversation, id };
}

export function formatConversationChildName(name: ConversationChildName, collection: string): string {
  return `${formatResourceName(name.conversation, CONVERSATIONS)}/${collection}/${name.id}`;
}

/**
 * The agent a fulfillment name points to: an ES agent's fulfillment is one per
 * agent, and an agent one per project and location.
 */
export function parseFulfillmentName(value: string, field: string): ParentName {
  if (value === "") throw new InvalidFieldError(field, `is required; expected ${FULFILLMENT_FORMS}`, "NAME_MISSING");
  if (!value.endsWith(FULFILLMENT_SUFFIX)) throw invalidFulfillmentName(value, field);
  try {
    return parseParent(value.slice(0, -FULFILLMENT_SUFFIX.length), field);
  } catch {
    throw invalidFulfillmentName(value, field);
  }
}

export function formatFulfillmentName(agent: ParentName): string {
  return `${formatParent(agent)}${FULFILLMENT_SUFFIX}`;
}

/**
 * The ES agent an automated_agent_config.agent names, or undefined for any
 * other form (a CX agent, `projects/P/locations/L/agents/A`, has webhooks of
 * its own rather than a v2 Fulfillment).
 */
export function parseEsAgent(agent: string): EsAgent | undefined {
  const match = ES_AGENT.exec(agent);
  if (match === null) return undefined;
  let parent: ParentName;
  try {
    parent = parseParent(match[1] ?? "", "agent");
  } catch {
    return undefined;
  }
  const environment = match[2];
  return { parent, environment: environment === undefined || environment === "-" ? undefined : environment };
}

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

/** Checks an ID chosen by the client (AIP-122 style: starts with a letter, 3-64 characters). */
export function checkClientId(id: string, field: string): string {
  if (!CHILD_ID.test(id)) {
    throw new InvalidFieldError(field, `"${abbreviate(id)}" must match ^[a-zA-Z][a-zA-Z0-9_-]*$ and be 3 to 64 characters long`, "INVALID_RESOURCE_ID", {
      value: abbreviate(id),
    });
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

// The forms a name may take, for its errors only: built when a name fails, never for one that parses.
function resourceForms(collection: string): string {
  return `projects/{project}/${collection}/{id} or projects/{project}/locations/{location}/${collection}/{id}`;
}

function conversationChildForms(collection: string): string {
  return (
    `projects/{project}/conversations/{conversation}/${collection}/{id} or ` +
    `projects/{project}/locations/{location}/conversations/{conversation}/${collection}/{id}`
  );
}

function invalidName(value: string, field: string, forms: string): InvalidFieldError {
  return new InvalidFieldError(field, `"${abbreviate(value)}" is not a valid name; expected ${forms}`, "INVALID_NAME", { value: abbreviate(value) });
}

function invalidFulfillmentName(value: string, field: string): InvalidFieldError {
  return new InvalidFieldError(field, `"${abbreviate(value)}" is not a valid fulfillment name; expected ${FULFILLMENT_FORMS}`, "INVALID_NAME", {
    value: abbreviate(value),
  });
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

// Error messages echo the offending value, but never a whole 10 kB of it.
function abbreviate(value: string): string {
  return value.length <= 80 ? value : `${value.slice(0, 77)}...`;
}
