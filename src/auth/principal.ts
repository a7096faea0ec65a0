// Who a call comes from, once its bearer token is verified: a name for the
// logs (never the token itself), the projects it may touch and what it may do.

export type Role = "reader" | "editor";

export const ROLES: readonly Role[] = ["reader", "editor"];

/** The projects a principal may touch: every one ("*"), or those listed. */
export type ProjectScope = "*" | ReadonlySet<string>;

export interface Principal {
  /** For logs and metrics: a token's name from the tokens file, or `jwt:<subject>`. */
  readonly name: string;
  readonly projects: ProjectScope;
  readonly role: Role;
}

export function coversProject(scope: ProjectScope, project: string): boolean {
  return scope === "*" || scope.has(project);
}

/** Reads a `projects` list as written in a tokens file or a token's claim: `["*"]` means every project. */
export function toProjectScope(projects: readonly string[]): ProjectScope {
  return projects.includes("*") ? "*" : new Set(projects);
}
