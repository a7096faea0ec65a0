import { Code } from "@connectrpc/connect";
import type { Authorizer } from "../auth/authorizer.js";
import type { HttpRequest, HttpResponse, HttpRoute } from "../http-primitives/http-request.js";
import { decodePathField } from "../rest/path-field.js";
import { checkProject } from "../domain/names.js";
import { restError, sendRestAnswer as answer, toRestError } from "../rest/rest-errors.js";
import { toConnectError } from "../services/errors.js";
import type { Database } from "../store/database.js";
import { deleteProjectData } from "../store/project-data.js";
import { refuseUnlessEditor } from "./editor-access.js";

// What Google's emulators offer test suites: erase data in one call between
// tests. Served only when EMULATOR_RESET is on (never by default):
//   DELETE /emulator/v1/projects/{project}  every row of that project
//   DELETE /emulator/v1/projects            every project's rows
// With auth on, only an editor token covering the project (every project for
// the second form) may call it.

const PREFIX = "/emulator/v1/projects";

export function createResetRoute(database: Database, authorizer: Authorizer | undefined, onInternalError: (error: unknown) => void): HttpRoute {
  return (request, response, { path }) => {
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
    if (request.method !== "DELETE") {
      answer(response, restError(Code.InvalidArgument, `${request.method} is not allowed on ${PREFIX}; use DELETE`, "HTTP_METHOD_NOT_ALLOWED", { allow: "DELETE" }, 405), { allow: "DELETE" });
      return true;
    }
    let project: string | undefined;
    try {
      project = path === PREFIX ? undefined : projectOf(path.slice(PREFIX.length + 1));
    } catch (error) {
      answer(response, toRestError(toConnectError(error, onInternalError)));
      return true;
    }
    void reset(request, response, database, authorizer, project).catch((error: unknown) => answer(response, toRestError(toConnectError(error, onInternalError))));
    return true;
  };
}

/** The project a path names; INVALID_ARGUMENT when it is not percent-encoding of a project ID. */
function projectOf(encoded: string): string {
  return checkProject(decodePathField("project", encoded), "project");
}

async function reset(
  request: HttpRequest,
  response: HttpResponse,
  database: Database,
  authorizer: Authorizer | undefined,
  project: string | undefined,
): Promise<void> {
  const refusal = await refuseUnlessEditor(request, authorizer, project, "erase");
  if (refusal !== undefined) {
    answer(response, refusal);
    return;
  }
  const deleted = await deleteProjectData(database, project);
  answer(response, { httpStatus: 200, body: { project: project ?? "*", deleted } });
}
