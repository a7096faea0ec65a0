// Pub/Sub takes at most 1000 messages and 10 MB in one Publish request
// (https://cloud.google.com/pubsub/quotas#resource_limits). A claimed batch
// for one topic normally fits in one; this splits it where it does not.

export interface PublishRequestLimits {
  readonly maxMessages: number;
  /** Bytes of message data per request; what the request adds around them is left out of it. */
  readonly maxBytes: number;
}

/** Pub/Sub's limits, with a megabyte left for the request's own bytes (topic, framing). */
export const PUBSUB_REQUEST_LIMITS: PublishRequestLimits = { maxMessages: 1000, maxBytes: 9 * 1024 * 1024 };

/**
 * Splits `items` into consecutive runs that each fit one request, in order.
 * An item larger than maxBytes on its own goes alone (Pub/Sub then refuses
 * that request only).
 */
export function splitIntoPublishRequests<T>(items: readonly T[], bytesOf: (item: T) => number, limits: PublishRequestLimits): T[][] {
  const requests: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (current.length > 0 && (current.length === limits.maxMessages || bytes + size > limits.maxBytes)) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
