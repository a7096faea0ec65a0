import { Code } from "@connectrpc/connect";
import { isWebhookHostAllowed, type WebhookHostPolicy } from "./webhook-hosts.js";

// One bounded POST to a webhook: the host must be allowed, the whole exchange
// (redirects and body included) ends at the timeout, the body read stops at the
// size limit, and redirects are followed only within the same origin. Every
// failure of the webhook is a value saying why, as Google reports it in
// webhook_status; it throws only when the call it serves ends first.

export interface WebhookLimits {
  /** The whole exchange; Google gives a webhook 5 s. */
  readonly timeoutMs: number;
  /** Largest response body read; Google accepts 64 KiB. */
  readonly maxResponseBytes: number;
  /** Same-origin redirects followed before giving up. */
  readonly maxRedirects: number;
  readonly allowedHosts: WebhookHostPolicy;
}

export const GOOGLE_WEBHOOK_LIMITS = { timeoutMs: 5000, maxResponseBytes: 64 * 1024, maxRedirects: 3 } as const;

export type WebhookCallResult =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly code: Code; readonly reason: string; readonly message: string };

export async function postWebhook(
  uri: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  limits: WebhookLimits,
  /** The call's: the exchange ends with it, rejecting with its reason, as the call's statements do. */
  callSignal?: AbortSignal,
): Promise<WebhookCallResult> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return failure(Code.InvalidArgument, "INVALID_URI", `the webhook URI "${uri.slice(0, 80)}" is not a URL`);
  }
  const origin = url.origin;
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  callSignal?.throwIfAborted();
  const signal = callSignal === undefined ? timeout : AbortSignal.any([timeout, callSignal]);
  try {
    for (let redirects = 0; ; redirects++) {
      if (!isWebhookHostAllowed(limits.allowedHosts, url)) {
        return failure(Code.PermissionDenied, "HOST_NOT_ALLOWED", `the host ${url.hostname} is not among the hosts webhooks may reach (WEBHOOK_ALLOWED_HOSTS)`);
      }
      const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        const location = response.headers.get("location");
        const next = location === null ? undefined : new URL(location, url);
        if (next === undefined || next.origin !== origin) {
          return failure(Code.FailedPrecondition, "REDIRECT_REFUSED", `the webhook redirected (HTTP ${response.status}) to ${next?.origin ?? "nowhere"}; only redirects within ${origin} are followed`);
        }
        if (redirects >= limits.maxRedirects) return failure(Code.FailedPrecondition, "TOO_MANY_REDIRECTS", `the webhook redirected more than ${limits.maxRedirects} times`);
        url = next;
        continue;
      }
      if (response.status < 200 || response.status >= 300) {
        await response.body?.cancel();
        return failure(codeOfHttpStatus(response.status), "HTTP_ERROR", `the webhook answered HTTP ${response.status}`);
      }
      return await readCapped(response, limits.maxResponseBytes);
    }
  } catch (error) {
    if (callSignal?.aborted === true) throw callSignal.reason;
    if (timeout.aborted) return failure(Code.DeadlineExceeded, "TIMEOUT", `the webhook did not answer within ${limits.timeoutMs / 1000} s`);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return failure(Code.Unavailable, "UNREACHABLE", `the webhook could not be reached: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<WebhookCallResult> {
  const tooLarge = () => failure(Code.ResourceExhausted, "RESPONSE_TOO_LARGE", `the webhook's response is larger than ${maxBytes} bytes`);
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    return tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        return tooLarge();
      }
      chunks.push(value);
    }
  }
  return { ok: true, body: Buffer.concat(chunks).toString("utf8") };
}

// As Google reports a webhook's HTTP error in webhook_status: the canonical code of the status.
function codeOfHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.InvalidArgument;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.NotFound;
    case 408:
    case 504:
      return Code.DeadlineExceeded;
    case 409:
      return Code.Aborted;
    case 429:
      return Code.ResourceExhausted;
    case 501:
      return Code.Unimplemented;
    default:
      return status >= 500 ? Code.Unavailable : Code.Unknown;
  }
}

function failure(code: Code, reason: string, message: string): WebhookCallResult {
  return { ok: false, code, reason, message };
}
