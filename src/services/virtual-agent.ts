import type { AutomatedAgentReply, Message } from "../gen/google/cloud/dialogflow/v2/participant_pb.js";
import type { QueryParameters } from "../gen/google/cloud/dialogflow/v2/session_pb.js";

// The one seam between a conversation and its virtual agent: in
// VIRTUAL_AGENT_STAGE, each END_USER turn is handed over once it is stored,
// and the reply (if any) becomes the turn's automated_agent_reply, its
// reply_text and an AUTOMATED_AGENT message of the transcript.

/** What a virtual agent (such as the agent's fulfillment webhook) gets of one END_USER turn. */
export interface VirtualAgentTurn {
  /** The conversation, named as the caller wrote it. */
  readonly conversation: string;
  /** The END_USER participant, named as the caller wrote it. */
  readonly participant: string;
  /** The stored turn (name, content, language, create_time). */
  readonly message: Message;
  readonly text: string;
  readonly languageCode: string;
  /** The profile's automated_agent_config.agent, e.g. projects/P/agent. */
  readonly agent: string;
  /** The request's query_params (its payload goes to the webhook as originalDetectIntentRequest). */
  readonly queryParams: QueryParameters | undefined;
}

/** A virtual agent's answer to one turn. */
export interface VirtualAgentReply {
  readonly reply: AutomatedAgentReply;
  /** The text to show the user ("" when the agent answered with none). */
  readonly replyText: string;
}

/**
 * Answers a turn, or resolves undefined for no automated reply. Must not throw
 * for the agent's own failures; ends when `signal` (the call's) aborts,
 * rejecting with its reason, as the call is over.
 */
export type VirtualAgent = (turn: VirtualAgentTurn, signal?: AbortSignal) => Promise<VirtualAgentReply | undefined>;
