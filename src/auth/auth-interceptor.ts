import type { Interceptor } from "@connectrpc/connect";
import { checkEach, type CallGuard } from "./call-guard.js";

/**
 * Applies the call guard before the handler runs (so before any SQL) on every
 * protocol connect-node serves, and on REST, which reaches the handlers
 * through the same interceptors.
 */
export function authInterceptor(guard: CallGuard): Interceptor {
  return (next) => async (request) => {
    const authorization = request.header.get("authorization");
    if (!request.stream) {
      await guard(request.method, request.message, authorization);
      return next(request);
    }
    return next({ ...request, message: checkEach(guard, request.method, request.message, authorization) });
  };
}
