import { InvalidFieldError } from "./errors.js";
import { parseParent, formatParent, type ParentName } from "./names.js";

// An ES agent's fulfillment, one per agent, and an agent is one per project
// and location: `projects/{project}[/locations/{location}]/agent/fulfillment`.
// As for other names, the form without a location is the global location.

const FULFILLMENT_SUFFIX = "/agent/fulfillment";
const FORMS = "projects/{project}/agent/fulfillment or projects/{project}/locations/{location}/agent/fulfillment";

/** The agent's parent (project and location as written) a fulfillment name points to. */
export function parseFulfillmentName(value: string, field: string): ParentName {
  if (value === "") throw new InvalidFieldError(field, `is required; expected ${FORMS}`, "NAME_MISSING");
  if (!value.endsWith(FULFILLMENT_SUFFIX)) throw invalidName(value, field);
  try {
    return parseParent(value.slice(0, -FULFILLMENT_SUFFIX.length), field);
  } catch {
    throw invalidName(value, field);
  }
}

export function formatFulfillmentName(parent: ParentName): string {
  return `${formatParent(parent)}${FULFILLMENT_SUFFIX}`;
}

// ES agents as a profile names them (automated_agent_config.agent):
// projects/P[/locations/L]/agent[/environments/E].
const ES_AGENT = /^(projects\/[^/]+(?:\/locations\/[^/]+)?)\/agent(?:\/environments\/([^/]+))?$/;

export interface EsAgent {
  /** The project and location of the agent, as written. */
  readonly parent: ParentName;
  /** The environment the profile names; undefined for the draft (none, or "-"). */
  readonly environment: string | undefined;
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

function invalidName(value: string, field: string): InvalidFieldError {
  const shown = value.length <= 80 ? value : `${value.slice(0, 77)}...`;
  return new InvalidFieldError(field, `"${shown}" is not a valid fulfillment name; expected ${FORMS}`, "INVALID_NAME", { value: shown });
}
