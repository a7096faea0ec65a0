import { Code } from "@connectrpc/connect";
import type { Authorizer } from "../auth/authorizer.js";
import { checkProject } from "../domain/names.js";
import type { HttpRequest, HttpResponse, HttpRoute } from "../http-primitives/http-request.js";
import { decodePathField } from "../rest/path-field.js";
import { restError, sendRestAnswer as answer, toRestError } from "../rest/rest-errors.js";
import { toConnectError } from "../services/errors.js";
import type { Database } from "../store/database.js";
import { ImportError } from "../store/project-data.js";
import { refuseUnlessEditor } from "./editor-access.js";
import { exportProject, importProject } from "./project-export.js";

// A project's data as a file over HTTP, for the console, through the code of
// `cli.js export` / `import`. Served only when EMULATOR_RESET is on, with the
// reset's access rule (an editor token covering the project when auth is on):
//   GET  /emulator/v1/project-data/{project}                 the export file
//   POST /emulator/v1/project-data/{project}[?replace=true]  load one (of that project only)
//   GET  /console/emulator.js                                tells the console these are on
// (dist/console/emulator.js, served when the setting is off, says they are not; a module, as the
// console route serves only html, js and css.)

const PREFIX = "/emulator/v1/project-data/";
const CONSOLE_EMULATOR_PATH = "/console/emulator.js";

export function createProjectDataRoute(database: Database, authorizer: Authorizer | undefined, maxBodyBytes: number, onInternalError: (error: unknown) => void): HttpRoute {
  return (request, response, { path, search }) => {
    if (path === CONSOLE_EMULATOR_PATH && request.method === "GET") {
      response.setHeader("content-type", "text/javascript; charset=utf-8");
      response.setHeader("cache-control", "no-cache");
      response.end("export default { reset: true };\n");
      return true;
    }
    if (!path.startsWith(PREFIX)) return false;
    const fail = (error: unknown) => answer(response, error instanceof ImportError
      ? restError(Code.InvalidArgument, `Import refused: ${error.message}`, "IMPORT_REFUSED")
      : toRestError(toConnectError(error, onInternalError)));
    if (request.method !== "GET" && request.method !== "POST") {
      answer(response, restError(Code.InvalidArgument, `${request.method} is not allowed here; use GET (export) or POST (import)`, "HTTP_METHOD_NOT_ALLOWED", { allow: "GET, POST" }, 405));
      return true;
    }
    let project: string;
    try {
      project = checkProject(decodePathField("project", path.slice(PREFIX.length)), "project");
    } catch (error) {
      fail(error);
      return true;
    }
    const replace = new URLSearchParams(search).get("replace") === "true";
    void serve(request, response, { database, authorizer, maxBodyBytes, project, replace }).catch(fail);
    return true;
  };
}

interface Call {
  readonly database: Database;
  readonly authorizer: Authorizer | undefined;
  readonly maxBodyBytes: number;
  readonly project: string;
  readonly replace: boolean;
}

async function serve(request: HttpRequest, response: HttpResponse, call: Call): Promise<void> {
  const refusal = await refuseUnlessEditor(request, call.authorizer, call.project, request.method === "GET" ? "export" : "import into");
  if (refusal !== undefined) {
    answer(response, refusal);
    return;
  }
  if (request.method === "GET") {
    answer(response, { httpStatus: 200, body: await exportProject(call.database, call.project) }, {
      "content-disposition": `attachment; filename="${call.project.replace(/[^a-z0-9.-]/g, "_")}.json"`,
    });
    return;
  }
  const text = await readBody(request, call.maxBodyBytes);
  if (text === undefined) {
    answer(response, restError(Code.ResourceExhausted, `The file is larger than MAX_MESSAGE_BYTES (${call.maxBodyBytes} bytes)`, "BODY_TOO_LARGE", {}, 413));
    return;
  }
  const { written } = await importProject(call.database, text, { replace: call.replace, project: call.project });
  answer(response, { httpStatus: 200, body: { project: call.project, imported: written } });
}

/** The body as text; undefined once it passes the limit (the rest is not buffered). */
async function readBody(request: HttpRequest, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
