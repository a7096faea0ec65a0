import { create, type JsonObject } from "@bufbuild/protobuf";
import { IntentSchema, type Intent } from "../gen/google/cloud/dialogflow/v2/intent_pb.js";
import { QueryResultSchema, type QueryResult } from "../gen/google/cloud/dialogflow/v2/session_pb.js";
import { WebhookRequestSchema, type WebhookRequest } from "../gen/google/cloud/dialogflow/v2/webhook_pb.js";
import { formatParent, type EsAgent } from "../domain/names.js";

// The WebhookRequest Google sends for a conversation's turn, pure. There is no
// NLU here: every turn matches one intent, shaped like the Default Fallback
// Intent every ES agent is created with, so a webhook dispatches on its
// display name or action as it would for an unmatched utterance.

export const FALLBACK_INTENT = {
  /** A fixed ID, the same for every agent, so a webhook may also dispatch on the intent's name. */
  id: "00000000-0000-0000-0000-00000000fa11",
  displayName: "Default Fallback Intent",
  action: "input.unknown",
} as const;

export interface WebhookQuery {
  /** The end user's words, or the name of a follow-up event the webhook asked for. */
  readonly queryText: string;
  readonly languageCode: string;
  /** The follow-up event's parameters; none for the user's words. */
  readonly parameters: JsonObject;
}

export interface WebhookTurn {
  readonly agent: EsAgent;
  /** The conversation's ID: Google uses it as the session ID of the agent's session. */
  readonly conversationId: string;
  readonly responseId: string;
  readonly query: WebhookQuery;
  /** query_params.payload of the AnalyzeContent request. */
  readonly payload: JsonObject | undefined;
}

/**
 * `projects/P[/locations/L]/agent/sessions/S`, or with an environment
 * `.../agent/environments/E/users/-/sessions/S` ("-" is Google's default user).
 */
export function formatSessionName(agent: EsAgent, conversationId: string): string {
  const base = `${formatParent(agent.parent)}/agent`;
  return agent.environment === undefined
    ? `${base}/sessions/${conversationId}`
    : `${base}/environments/${agent.environment}/users/-/sessions/${conversationId}`;
}

function fallbackIntent(agent: EsAgent): Intent {
  return create(IntentSchema, {
    name: `${formatParent(agent.parent)}/agent/intents/${FALLBACK_INTENT.id}`,
    displayName: FALLBACK_INTENT.displayName,
    action: FALLBACK_INTENT.action,
    isFallback: true,
  });
}

/** What the intent match gives before the webhook answers: the fallback intent, fully confident. */
export function buildQueryResult(agent: EsAgent, query: WebhookQuery): QueryResult {
  return create(QueryResultSchema, {
    queryText: query.queryText,
    languageCode: query.languageCode,
    action: FALLBACK_INTENT.action,
    parameters: query.parameters,
    allRequiredParamsPresent: true,
    intent: fallbackIntent(agent),
    intentDetectionConfidence: 1,
  });
}

export function buildWebhookRequest(turn: WebhookTurn): WebhookRequest {
  return create(WebhookRequestSchema, {
    session: formatSessionName(turn.agent, turn.conversationId),
    responseId: turn.responseId,
    queryResult: buildQueryResult(turn.agent, turn.query),
    originalDetectIntentRequest: { payload: turn.payload ?? {} },
  });
}
