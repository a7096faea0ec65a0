import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.js";

/**
 * Counts the calls being served in this process. Past the bound a call is
 * refused before any work (no decoding, no SQL), so a flood of calls fails
 * fast as overload instead of queueing on the database pool until calls time
 * out there and look like an outage.
 */
export interface InFlight {
  /** Takes a slot; false when every slot is taken. */
  enter(): boolean;
  leave(): void;
  readonly count: number;
}

export function createInFlight(max: number): InFlight {
  let count = 0;
  return {
    enter() {
      if (count >= max) return false;
      count++;
      return true;
    },
    leave() {
      count--;
    },
    get count() {
      return count;
    },
  };
}

export function overloaded(max: number): ConnectError {
  return new ConnectError(
    `The server is overloaded (${max} calls in flight); retry with exponential backoff`,
    Code.ResourceExhausted,
    undefined,
    [{ desc: ErrorInfoSchema, value: { reason: "OVERLOADED", domain: "dialogflow.googleapis.com", metadata: { maxInFlight: String(max) } } }],
  );
}
