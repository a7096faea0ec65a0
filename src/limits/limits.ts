/** What a client, hostile or not, can hold of the server at once. */
export interface Limits {
  /** The largest request message on any protocol; larger ones are refused before they are read. */
  readonly maxMessageBytes: number;
  /** Calls served at once, process-wide; more are refused at once as overload. */
  readonly maxInFlight: number;
  /** Streams one HTTP/2 connection may have open at once (advertised in SETTINGS). */
  readonly maxConcurrentStreams: number;
  /** Open connections; more are closed as they arrive. */
  readonly maxConnections: number;
  /** A connection must have sent a complete request (HTTP/1.1) or opened a stream (HTTP/2) by then. */
  readonly requestTimeoutMs: number;
  /** An HTTP/2 connection with no traffic this long is told to go away (GOAWAY). */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  // gRPC's own default.
  maxMessageBytes: 4 * 1024 * 1024,
  maxInFlight: 1000,
  maxConcurrentStreams: 100,
  maxConnections: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 300_000,
};
