import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { create, fromJson, toJsonString, type JsonObject } from "@bufbuild/protobuf";
import type { Fulfillment } from "../gen/google/cloud/dialogflow/v2/fulfillment_pb.js";
import { Intent_MessageSchema, type Intent_Message } from "../gen/google/cloud/dialogflow/v2/intent_pb.js";
import {
  AutomatedAgentReply_AutomatedAgentReplyType,
  AutomatedAgentReplySchema,
  type AutomatedAgentReply,
} from "../gen/google/cloud/dialogflow/v2/participant_pb.js";
import { DetectIntentResponseSchema, type QueryParameters, type QueryResult } from "../gen/google/cloud/dialogflow/v2/session_pb.js";
import { WebhookRequestSchema, WebhookResponseSchema, type WebhookResponse } from "../gen/google/cloud/dialogflow/v2/webhook_pb.js";
import { StatusSchema, type Status } from "../gen/google/rpc/status_pb.js";
import { parseEsAgent, type EsAgent } from "../domain/names.js";
import { webhookHeaders } from "./webhook-headers.js";
import { buildQueryResult, buildWebhookRequest, type WebhookQuery } from "./webhook-request.js";
import { postWebhook, type WebhookLimits } from "./post-webhook.js";

// The virtual agent is the agent's fulfillment webhook: a turn of the end
// user is POSTed to it as Google's WebhookRequest, and its WebhookResponse is
// the automated reply. A webhook that fails gives a reply whose webhook_status
// says why and no text, never an error: the caller's call still succeeds.

export interface VirtualAgentTurnInput {
  /** `projects/P[/locations/L]/conversations/C`; C is the session ID the webhook sees. */
  readonly conversation: string;
  /** The END_USER participant whose turn this is (for the log line). */
  readonly participant: string;
  /** What the end user said. */
  readonly text: string;
  /** The request's language code, else the profile's. */
  readonly languageCode: string;
  /** The profile's automated_agent_config.agent. */
  readonly agent: string;
  /** The AnalyzeContent request's query_params: payload and webhook_headers reach the webhook. */
  readonly queryParams: QueryParameters | undefined;
  /** The agent's fulfillment (FulfillmentStore.get of the agent's parent); undefined when there is none. */
  readonly fulfillment: Fulfillment | undefined;
}

export interface VirtualAgentOutcome {
  /** For AnalyzeContentResponse.automated_agent_reply; undefined when the agent has no enabled webhook. */
  readonly automatedAgentReply: AutomatedAgentReply | undefined;
  /** For reply_text and the AUTOMATED_AGENT message; "" when there is no reply. */
  readonly replyText: string;
}

export interface WebhookClientOptions extends WebhookLimits {
  /** Gets one line per failed webhook call (a pino logger does). */
  readonly log: { warn(fields: Record<string, unknown>, message: string): void };
}

/** Follow-up events a webhook may chain from one turn (each another call to it). */
export const MAX_FOLLOWUP_EVENTS = 3;

const NO_REPLY: VirtualAgentOutcome = { automatedAgentReply: undefined, replyText: "" };

/** Ends with the call when `signal` (the call's) aborts, rejecting with its reason: no one waits for the reply any more. */
export async function runVirtualAgentTurn(input: VirtualAgentTurnInput, options: WebhookClientOptions, signal?: AbortSignal): Promise<VirtualAgentOutcome> {
  const agent = parseEsAgent(input.agent);
  const service = input.fulfillment?.fulfillment;
  if (agent === undefined || input.fulfillment?.enabled !== true || service?.case !== "genericWebService" || service.value.uri === "") return NO_REPLY;
  const webhook = service.value;
  const headers = webhookHeaders(webhook, input.queryParams?.webhookHeaders ?? {});
  const conversationId = input.conversation.slice(input.conversation.lastIndexOf("/") + 1);
  let query: WebhookQuery = { queryText: input.text, languageCode: input.languageCode, parameters: {} };
  for (let followups = 0; ; followups++) {
    const responseId = randomUUID();
    const request = buildWebhookRequest({ agent, conversationId, responseId, query, payload: input.queryParams?.payload });
    const result = await postWebhook(webhook.uri, headers, toJsonString(WebhookRequestSchema, request), options, signal);
    const response = result.ok ? parseWebhookResponse(result.body) : result;
    if (!("fulfillmentText" in response)) {
      options.log.warn(
        { conversation: input.conversation, participant: input.participant, webhookHost: hostOf(webhook.uri), code: response.code, reason: response.reason },
        `webhook call failed: ${response.message}`,
      );
      return failedTurn(agent, responseId, query, response.code, response.message);
    }
    const event = response.followupEventInput;
    if (event === undefined || event.name === "") return repliedTurn(agent, responseId, query, response);
    if (followups === MAX_FOLLOWUP_EVENTS) {
      const message = `the webhook chained more than ${MAX_FOLLOWUP_EVENTS} follow-up events`;
      options.log.warn({ conversation: input.conversation, participant: input.participant, webhookHost: hostOf(webhook.uri), reason: "TOO_MANY_FOLLOWUP_EVENTS" }, `webhook call failed: ${message}`);
      return failedTurn(agent, responseId, query, Code.Aborted, message);
    }
    // Google ignores the reply of a response that names an event and runs the event's intent; here
    // that is the same intent, so the webhook is called again with the event's name and parameters.
    query = { queryText: event.name, languageCode: query.languageCode, parameters: event.parameters ?? {} };
  }
}

type Failure = { readonly code: number; readonly reason: string; readonly message: string };

function parseWebhookResponse(body: string): WebhookResponse | Failure {
  try {
    return fromJson(WebhookResponseSchema, JSON.parse(body) as JsonObject, { ignoreUnknownFields: true });
  } catch (error) {
    return { code: Code.InvalidArgument, reason: "INVALID_RESPONSE", message: `the webhook's response is not a WebhookResponse in JSON: ${(error as Error).message.slice(0, 200)}` };
  }
}

function repliedTurn(agent: EsAgent, responseId: string, query: WebhookQuery, response: WebhookResponse): VirtualAgentOutcome {
  // As Dialogflow fills query_result: either of text and messages gives the other.
  const texts = response.fulfillmentMessages.flatMap((message) => (message.message.case === "text" ? message.message.value.text : []));
  const fulfillmentText = response.fulfillmentText !== "" ? response.fulfillmentText : texts.join(" ");
  const fulfillmentMessages: Intent_Message[] =
    response.fulfillmentMessages.length > 0 || fulfillmentText === ""
      ? response.fulfillmentMessages
      : [create(Intent_MessageSchema, { message: { case: "text", value: { text: [fulfillmentText] } } })];
  const queryResult = buildQueryResult(agent, query);
  queryResult.fulfillmentText = fulfillmentText;
  queryResult.fulfillmentMessages = fulfillmentMessages;
  queryResult.webhookSource = response.source;
  queryResult.webhookPayload = response.payload;
  queryResult.outputContexts = response.outputContexts;
  return {
    automatedAgentReply: reply(responseId, queryResult, create(StatusSchema, { code: 0, message: "Webhook execution successful" })),
    replyText: fulfillmentText,
  };
}

function failedTurn(agent: EsAgent, responseId: string, query: WebhookQuery, code: number, message: string): VirtualAgentOutcome {
  const status = create(StatusSchema, { code, message: `Webhook call failed. Error: ${message}.` });
  return { automatedAgentReply: reply(responseId, buildQueryResult(agent, query), status), replyText: "" };
}

function reply(responseId: string, queryResult: QueryResult, webhookStatus: Status): AutomatedAgentReply {
  return create(AutomatedAgentReplySchema, {
    detectIntentResponse: create(DetectIntentResponseSchema, { responseId, queryResult, webhookStatus }),
    automatedAgentReplyType: AutomatedAgentReply_AutomatedAgentReplyType.FINAL,
  });
}

function hostOf(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return "";
  }
}
