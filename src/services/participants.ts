import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { create, fromJson, toJson, type JsonObject } from "@bufbuild/protobuf";
import {
  AnalyzeContentResponseSchema,
  AutomatedAgentReplySchema,
  ListParticipantsResponseSchema,
  ParticipantSchema,
  Participants,
  StreamingAnalyzeContentResponseSchema,
  SuggestionResultSchema,
  type AnalyzeContentResponse,
  type Participant,
  type StreamingAnalyzeContentRequest,
} from "../gen/google/cloud/dialogflow/v2/participant_pb.js";
import type { QueryParameters } from "../gen/google/cloud/dialogflow/v2/session_pb.js";
import { InvalidFieldError, UnsupportedMethodError } from "../domain/errors.js";
import { resolveUpdateMask, touches } from "../domain/field-mask.js";
import { generateId } from "../domain/ids.js";
import {
  CONVERSATIONS,
  PARTICIPANTS,
  canonicalParent,
  formatConversationChildName,
  formatResourceName,
  parseConversationChildName,
  parseResourceName,
  type ConversationChildName,
} from "../domain/names.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "../domain/page-token.js";
import { ROLE_END_USER, checkObfuscatedUserId, checkRequestId, checkRole, checkText } from "../domain/participant-fields.js";
import { checkLanguageCode } from "../domain/profile-fields.js";
import { suggestionFailures } from "../domain/suggestion-results.js";
import type { MessageStore, StoredTurn } from "../store/messages.js";
import { userIdNotForRole, type ParticipantBody, type ParticipantStore } from "../store/participants.js";
import type { VirtualAgent } from "./virtual-agent.js";

export interface ParticipantsServiceOptions {
  readonly participants: ParticipantStore;
  readonly messages: MessageStore;
  /** Signs page tokens; the same for every replica. */
  readonly pageTokenSecret: string;
  /**
   * Answers END_USER turns of conversations in VIRTUAL_AGENT_STAGE; without
   * one, such a turn is stored and gets no automated reply.
   */
  readonly virtualAgent?: VirtualAgent;
}

const STAGE_VIRTUAL_AGENT = 1;
const STAGE_HUMAN_ASSIST = 2;

/** A text turn, as AnalyzeContent and StreamingAnalyzeContent both ask for it. */
interface TextTurn {
  readonly participant: ConversationChildName;
  readonly text: string;
  readonly textField: string;
  readonly languageCode: string;
  readonly requestId: string;
  readonly queryParams: QueryParameters | undefined;
}

export function createParticipantsService(options: ParticipantsServiceOptions): ServiceImpl<typeof Participants> {
  const { participants, messages, pageTokenSecret, virtualAgent } = options;

  /**
   * Stores a text turn and answers it as AnalyzeContent does. What follows the
   * turn's statement gets the call's signal from `context`; the turn's own gets
   * `turnSignal`, or when it is undefined the signal the RPC layer set, as the
   * statement is then sent before the handler's first await (see call-signal.ts).
   */
  async function analyzeText(turn: TextTurn, context: HandlerContext, turnSignal?: AbortSignal): Promise<AnalyzeContentResponse> {
    checkText(turn.text, turn.textField);
    const stored = await messages.addTurn(
      {
        participant: turn.participant,
        messageId: generateId(),
        text: turn.text,
        languageCode: turn.languageCode,
        requestId: turn.requestId,
      },
      turnSignal,
    );
    const response = create(AnalyzeContentResponseSchema, { message: stored.message });
    if (stored.conversationStage === STAGE_HUMAN_ASSIST) {
      const failures = suggestionFailures(stored.assistantConfig);
      const asResult = (error: { code: number; message: string }) => create(SuggestionResultSchema, { suggestionResponse: { case: "error", value: error } });
      response.humanAgentSuggestionResults = failures.humanAgent.map(asResult);
      response.endUserSuggestionResults = failures.endUser.map(asResult);
    }
    const reply = await automatedReply(turn, stored, context);
    if (reply !== undefined) {
      response.automatedAgentReply = fromJson(AutomatedAgentReplySchema, reply.reply, { ignoreUnknownFields: true });
      response.replyText = reply.text;
    }
    return response;
  }

  /** The virtual agent's reply to an END_USER turn: asked for once, kept with the turn for repeats of its request_id. */
  async function automatedReply(turn: TextTurn, stored: StoredTurn, context: HandlerContext): Promise<{ reply: JsonObject; text: string } | undefined> {
    if (stored.repeated) {
      const kept = stored.automatedReply;
      return kept === undefined ? undefined : { reply: kept.reply as JsonObject, text: String(kept.text ?? "") };
    }
    if (virtualAgent === undefined || stored.conversationStage !== STAGE_VIRTUAL_AGENT || stored.message.participantRole !== ROLE_END_USER) return undefined;
    // Read only here: a turn without a virtual agent makes the transport build no signal.
    const { signal } = context;
    const answer = await virtualAgent(
      {
        conversation: formatResourceName(turn.participant.conversation, CONVERSATIONS),
        participant: formatConversationChildName(turn.participant, PARTICIPANTS),
        message: stored.message,
        text: stored.message.content,
        languageCode: stored.message.languageCode,
        agent: stored.agent,
        queryParams: turn.queryParams,
      },
      signal,
    );
    if (answer === undefined) return undefined;
    const reply = toJson(AutomatedAgentReplySchema, answer.reply) as JsonObject;
    const record = { messageId: generateId(), text: answer.replyText, languageCode: stored.message.languageCode, reply };
    await messages.addAutomatedReply(turn.participant.conversation, stored.messageId, record, signal);
    return { reply, text: answer.replyText };
  }

  return {
    async createParticipant(request) {
      const conversation = parseResourceName(request.parent, CONVERSATIONS, "parent");
      const participant = request.participant;
      if (participant === undefined) throw new InvalidFieldError("participant", "is required and must have a role", "PARTICIPANT_MISSING");
      const role = checkRole(participant.role, "participant.role");
      checkObfuscatedUserId(participant.obfuscatedExternalUserId, "participant.obfuscated_external_user_id");
      if (participant.obfuscatedExternalUserId !== "" && role !== ROLE_END_USER) throw userIdNotForRole();
      return participants.create(conversation, generateId(), role, toBody(participant));
    },

    async getParticipant(request) {
      return participants.get(parseConversationChildName(request.name, PARTICIPANTS, "name"));
    },

    async listParticipants(request) {
      const conversation = parseResourceName(request.parent, CONVERSATIONS, "parent");
      const limit = effectivePageSize(request.pageSize);
      // Either spelling of the conversation is the same collection, so a token serves both.
      const scope = formatResourceName({ ...canonicalParent(conversation), id: conversation.id }, CONVERSATIONS);
      const after = request.pageToken === "" ? undefined : decodePageToken(request.pageToken, scope, pageTokenSecret);
      const page = await participants.list(conversation, after, limit);
      return create(ListParticipantsResponseSchema, {
        participants: page.participants,
        nextPageToken: page.next === undefined ? "" : encodePageToken(page.next, scope, pageTokenSecret),
      });
    },

    async updateParticipant(request) {
      const participant = request.participant;
      if (participant === undefined) throw new InvalidFieldError("participant", "is required and must carry its name", "PARTICIPANT_MISSING");
      const name = parseConversationChildName(participant.name, PARTICIPANTS, "participant.name");
      const mask = resolveUpdateMask(ParticipantSchema, request.updateMask?.paths ?? [], { field: "update_mask", identifiers: ["name"] });
      const setsUserId = touches(mask, "obfuscated_external_user_id") && participant.obfuscatedExternalUserId !== "";
      if (setsUserId) checkObfuscatedUserId(participant.obfuscatedExternalUserId, "participant.obfuscated_external_user_id");
      return participants.update(name, {
        patch: toBody(participant),
        // role is a column, and immutable: the store checks it against the stored one instead.
        jsonPaths: mask.jsonPaths.filter((path) => path !== "role"),
        role: touches(mask, "role") ? participant.role : undefined,
        setsUserId,
      });
    },

    async analyzeContent(request, context) {
      const participant = parseConversationChildName(request.participant, PARTICIPANTS, "participant");
      const requestId = checkRequestId(request.requestId, "request_id");
      switch (request.input.case) {
        case "textInput":
          return analyzeText(
            {
              participant,
              text: request.input.value.text,
              textField: "text_input.text",
              languageCode: checkLanguageCode(request.input.value.languageCode, "text_input.language_code"),
              requestId,
              queryParams: request.queryParams,
            },
            context,
          );
        case "audioInput":
          return needsSpeech("AnalyzeContent");
        case "eventInput":
          throw new UnsupportedMethodError(
            "AGENT_REQUIRED",
            "AnalyzeContent",
            "event_input triggers an intent of the agent by event, which needs the agent's intents; this service runs no agent: send text_input",
          );
        case "suggestionInput":
          throw new UnsupportedMethodError(
            "LANGUAGE_MODEL_REQUIRED",
            "AnalyzeContent",
            "suggestion_input answers a generator's tool call, which needs a language model; this service runs none: send text_input",
          );
        default:
          throw new InvalidFieldError("text_input", "is required: AnalyzeContent takes text_input (audio, event and suggestion inputs need models)", "INPUT_MISSING");
      }
    },

    async *streamingAnalyzeContent(requests, context) {
      const turn = await readStreamedTurn(requests);
      // The turn is stored once the stream is read, when the RPC layer's signal is gone: it is passed on.
      const answer = await analyzeText(turn, context, context.signal);
      yield create(StreamingAnalyzeContentResponseSchema, {
        replyText: answer.replyText,
        automatedAgentReply: answer.automatedAgentReply,
        message: answer.message,
        humanAgentSuggestionResults: answer.humanAgentSuggestionResults,
        endUserSuggestionResults: answer.endUserSuggestionResults,
      });
    },

    async suggestArticles() {
      return needsModel("SuggestArticles", "suggests articles from knowledge bases");
    },

    async suggestFaqAnswers() {
      return needsModel("SuggestFaqAnswers", "answers from FAQ knowledge bases");
    },

    async suggestSmartReplies() {
      return needsModel("SuggestSmartReplies", "suggests replies");
    },

    async suggestKnowledgeAssist() {
      return needsModel("SuggestKnowledgeAssist", "answers from knowledge bases");
    },
  };
}

/**
 * The text turn of a StreamingAnalyzeContent call: participant and
 * text_config first, input_text in the same message or the next (Google asks
 * for the next); more messages than that are refused, as Google documents.
 */
async function readStreamedTurn(requests: AsyncIterable<StreamingAnalyzeContentRequest>): Promise<TextTurn> {
  const received: StreamingAnalyzeContentRequest[] = [];
  for await (const request of requests) {
    received.push(request);
    if (received.length > 2) throw new InvalidFieldError("input_text", "is sent once, in the first or second message; send at most two messages with text_config", "TOO_MANY_MESSAGES");
  }
  const [first, second] = received;
  if (first === undefined) throw new InvalidFieldError("participant", "is required in the first message", "NAME_MISSING");
  const participant = parseConversationChildName(first.participant, PARTICIPANTS, "participant");
  if (first.config.case === "audioConfig" || received.some((request) => request.input.case === "inputAudio")) return needsSpeech("StreamingAnalyzeContent");
  if (first.config.case !== "textConfig") throw new InvalidFieldError("text_config", "is required in the first message (audio_config needs speech recognition)", "CONFIG_MISSING");
  const input = first.input.case === "inputText" ? first.input : second?.input;
  if (input?.case !== "inputText") throw new InvalidFieldError("input_text", "is required after text_config", "TEXT_MISSING");
  return {
    participant,
    text: input.value,
    textField: "input_text",
    languageCode: checkLanguageCode(first.config.value.languageCode, "text_config.language_code"),
    requestId: "",
    queryParams: first.queryParams,
  };
}

function needsSpeech(method: string): never {
  throw new UnsupportedMethodError(
    "SPEECH_RECOGNITION_REQUIRED",
    method,
    `${method} with audio needs speech recognition, which this service does not run; send the transcript as text`,
  );
}

// Methods whose answer comes from Agent Assist's models; this service runs none, and says so rather than faking it.
function needsModel(method: string, what: string): never {
  throw new UnsupportedMethodError(
    "LANGUAGE_MODEL_REQUIRED",
    method,
    `${method} ${what}, which needs a language model (Agent Assist); this service runs none`,
  );
}

/** What is stored of a participant: every field Google defines, less the name and the role (a column). */
function toBody(participant: Participant): ParticipantBody {
  const json = toJson(ParticipantSchema, participant) as ParticipantBody;
  delete json.name;
  delete json.role;
  return json;
}
