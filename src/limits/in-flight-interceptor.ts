import type { Interceptor } from "@connectrpc/connect";
import { overloaded, type InFlight } from "./in-flight.js";

/** The in-flight bound for the calls connect-node serves (Connect, gRPC-Web, REST). */
export function inFlightInterceptor(inFlight: InFlight, max: number): Interceptor {
  return (next) => async (request) => {
    if (!inFlight.enter()) throw overloaded(max);
    try {
      return await next(request);
    } finally {
      inFlight.leave();
    }
  };
}
