import type { Logger } from "pino";
import { parseEsAgent } from "../domain/names.js";
import type { VirtualAgent } from "../services/virtual-agent.js";
import type { FulfillmentStore } from "../store/fulfillments.js";
import { GOOGLE_WEBHOOK_LIMITS } from "./post-webhook.js";
import { runVirtualAgentTurn } from "./virtual-agent-turn.js";
import type { WebhookHostPolicy } from "./webhook-hosts.js";

// The virtual agent a conversation gets by default: the fulfillment webhook
// of the agent its profile names, read when the turn arrives (an update to the
// fulfillment applies from the next turn, on every replica).

export interface FulfillmentVirtualAgentOptions {
  readonly fulfillments: FulfillmentStore;
  /** Hosts the webhooks may reach (WEBHOOK_ALLOWED_HOSTS). */
  readonly allowedHosts: WebhookHostPolicy;
  /** Gets one warn line per failed webhook call. */
  readonly log: Logger;
}

export function createFulfillmentVirtualAgent(options: FulfillmentVirtualAgentOptions): VirtualAgent {
  const limits = { ...GOOGLE_WEBHOOK_LIMITS, allowedHosts: options.allowedHosts, log: options.log };
  return async (turn, signal) => {
    const agent = parseEsAgent(turn.agent);
    if (agent === undefined) return undefined; // a CX agent: no webhook protocol of ES to speak
    const fulfillment = await options.fulfillments.get(agent.parent, signal);
    const outcome = await runVirtualAgentTurn({ ...turn, fulfillment }, limits, signal);
    return outcome.automatedAgentReply === undefined ? undefined : { reply: outcome.automatedAgentReply, replyText: outcome.replyText };
  };
}
