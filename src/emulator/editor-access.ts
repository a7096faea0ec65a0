import { Code } from "@connectrpc/connect";
import type { Authorizer } from "../auth/authorizer.js";
import { coversProject } from "../auth/principal.js";
import type { HttpRequest } from "../http-primitives/http-request.js";
import { restError, type RestError } from "../rest/rest-errors.js";

// Who may call the emulator's data routes (reset, export, import): anyone
// while auth is off; with auth on, an editor token covering the project (every
// project, `*`, when the call is about every project).

/** Undefined when the call may go on; else the REST error to answer. */
export async function refuseUnlessEditor(request: HttpRequest, authorizer: Authorizer | undefined, project: string | undefined, verb: string): Promise<RestError | undefined> {
  if (authorizer?.enabled !== true) return undefined;
  const authorization = request.headers.authorization;
  const principal = await authorizer.authenticate(typeof authorization === "string" ? authorization : undefined);
  if (principal === undefined) {
    return restError(Code.Unauthenticated, "The call needs an authorization: Bearer <token> header with a valid token", "TOKEN_REQUIRED");
  }
  const allowed = principal.role === "editor" && (project === undefined ? principal.projects === "*" : coversProject(principal.projects, project));
  if (allowed) return undefined;
  const what = project === undefined ? "every project" : `project ${project}`;
  return restError(Code.PermissionDenied, `${principal.name} may not ${verb} ${what}`, verb === "erase" ? "RESET_NOT_ALLOWED" : "PROJECT_DATA_NOT_ALLOWED", { project: project ?? "*" });
}
