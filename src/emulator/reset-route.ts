import { ConnectError } from "@connectrpc/connect";
import type { Authorizer } from "../auth/authorizer.js";
import { coversProject } from "../auth/principal.js";
import type { HttpRequest, HttpResponse, HttpRoute } from "../http/http-routes.js";
import { quoteTarget } from "../http/request-target.js";
import { decodePathField } from "../rest/path-field.js";
import { toRestError } from "../rest/rest-errors.js";
import { invalidArgument } from "../services/errors.js";
import type { Database } from "../store/database.js";
import { deleteProjectData } from "../store/project-data.js";

// What Google's emulators offer test suites: erase data in one call between
// tests. Served only when EMULATOR_RESET is on (never by default):
//   DELETE /emulator/v1/projects/{project}  every row of that project
//   DELETE /emulator/v1/projects            every project's rows
// With auth on, only an editor token covering the project (every project for
// the second form) may call it.

const PREFIX = "/emulator/v1/projects";
// As src/domain/names.ts accepts them.
const PROJECT_ID = /^[a-z0-9.:-]{1,63}$/;

export function createResetRoute(database: Database, authorizer: Authorizer | undefined): HttpRoute {
  return (request, response, { path }) => {
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
    if (request.method !== "DELETE") {
      reply(response, 405, { error: { code: 405, message: "use DELETE", status: "INVALID_ARGUMENT" } }, { allow: "DELETE" });
      return true;
    }
    let project: string | undefined;
    try {
      project = path === PREFIX ? undefined : projectOf(path.slice(PREFIX.length + 1));
    } catch (error) {
      const { httpStatus, body } = toRestError(ConnectError.from(error));
      reply(response, httpStatus, body);
      return true;
    }
    void reset(request, response, database, authorizer, project);
    return true;
  };
}

/** The project a path names; INVALID_ARGUMENT when it is not percent-encoding of a project ID. */
function projectOf(encoded: string): string {
  const project = decodePathField("project", encoded);
  if (PROJECT_ID.test(project)) return project;
  throw invalidArgument("project", `${quoteTarget(project)} is not a project ID (1-63 characters of a-z, 0-9, ".", ":" and "-")`, "INVALID_PROJECT_ID");
}

async function reset(
  request: HttpRequest,
  response: HttpResponse,
  database: Database,
  authorizer: Authorizer | undefined,
  project: string | undefined,
): Promise<void> {
  try {
    if (authorizer?.enabled === true) {
      const authorization = request.headers.authorization;
      const principal = await authorizer.authenticate(typeof authorization === "string" ? authorization : undefined);
      if (principal === undefined) {
        reply(response, 401, { error: { code: 401, message: "a bearer token is required", status: "UNAUTHENTICATED" } });
        return;
      }
      const allowed = principal.role === "editor" && (project === undefined ? principal.projects === "*" : coversProject(principal.projects, project));
      if (!allowed) {
        const what = project === undefined ? "every project" : `project ${project}`;
        reply(response, 403, { error: { code: 403, message: `${principal.name} may not erase ${what}`, status: "PERMISSION_DENIED" } });
        return;
      }
    }
    const deleted = await deleteProjectData(database, project);
    reply(response, 200, { project: project ?? "*", deleted });
  } catch (error) {
    reply(response, 503, { error: { code: 503, message: `reset failed: ${(error as Error).message}`, status: "UNAVAILABLE" } });
  }
}

function reply(response: HttpResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.statusCode = status;
  response.setHeader("content-type", "application/json; charset=utf-8");
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.end(JSON.stringify(body));
}
