import { Code, ConnectError } from "@connectrpc/connect";
import type { HttpResponse } from "./http-request.js";

/**
 * An AbortController for a call answered on `response`, aborted with
 * CANCELLED when the response closes before it was sent: the caller went away,
 * so the call (and its SQL) stops.
 */
export function abortWhenCallerLeaves(response: HttpResponse): AbortController {
  const abort = new AbortController();
  response.once("close", () => {
    if (!response.writableFinished) abort.abort(new ConnectError("the client went away", Code.Canceled));
  });
  return abort;
}
