import type { ServiceImpl } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { toJson, type JsonObject } from "@bufbuild/protobuf";
import {
  Conversation_ContextReferenceSchema,
  Conversation_ConversationStage,
  Conversations,
  IngestContextReferencesResponseSchema,
  ListConversationsResponseSchema,
  ListMessagesResponseSchema,
} from "../gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { checkContextReferences } from "../domain/context-references.js";
import { InvalidFieldError, UnsupportedMethodError } from "../domain/errors.js";
import { stripOutputOnly } from "../domain/field-behavior.js";
import { parseMessageFilter } from "../domain/message-filter.js";
import { parseFilter } from "../domain/filter.js";
import { generateId } from "../domain/ids.js";
import {
  CONVERSATIONS,
  CONVERSATION_PROFILES,
  canonicalParent,
  checkClientId,
  formatParent,
  formatResourceName,
  parseParent,
  parseResourceName,
  storedLocation,
} from "../domain/names.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "../domain/page-token.js";
import type { ConversationStore } from "../store/conversations.js";
import type { MessageStore } from "../store/messages.js";

export interface ConversationsServiceOptions {
  readonly conversations: ConversationStore;
  /** Transcripts, for ListMessages. */
  readonly messages: MessageStore;
  /** Signs page tokens; the same for every replica. */
  readonly pageTokenSecret: string;
}

const KNOWN_STAGES = new Set<number>(
  Object.values(Conversation_ConversationStage).filter((value) => typeof value === "number"),
);

// The methods that generate text need a language model; this service stores
// and serves conversations but runs no model, and says so rather than faking it.
function needsModel(method: string, what: string): never {
  throw new UnsupportedMethodError(
    "LANGUAGE_MODEL_REQUIRED",
    method,
    `${method} ${what}, which needs a language model (Dialogflow's generators and Agent Assist); this service runs none`,
  );
}

export function createConversationsService(options: ConversationsServiceOptions): ServiceImpl<typeof Conversations> {
  const { conversations, messages, pageTokenSecret } = options;

  return {
    async createConversation(request) {
      const parent = parseParent(request.parent, "parent");
      const id = request.conversationId === "" ? generateId() : checkClientId(request.conversationId, "conversation_id");
      const conversation = request.conversation;
      if (conversation === undefined) {
        throw new InvalidFieldError("conversation", "is required and must name a conversation_profile", "CONVERSATION_MISSING");
      }
      const profile = parseResourceName(
        conversation.conversationProfile,
        CONVERSATION_PROFILES,
        "conversation.conversation_profile",
      );
      if (storedLocation(profile) !== storedLocation(parent)) {
        throw new InvalidFieldError(
          "conversation.conversation_profile",
          `the profile is in location "${storedLocation(profile)}" but the conversation in "${storedLocation(parent)}"; a conversation's profile must be in its location`,
          "PROFILE_LOCATION_MISMATCH",
          { profileLocation: storedLocation(profile), conversationLocation: storedLocation(parent) },
        );
      }
      // Output-only fields (name, lifecycle_state, times, phone number) are ignored, as AIP-203 asks.
      if (!KNOWN_STAGES.has(conversation.conversationStage)) {
        throw new InvalidFieldError(
          "conversation.conversation_stage",
          `${conversation.conversationStage} is not a ConversationStage; use VIRTUAL_AGENT_STAGE or HUMAN_ASSIST_STAGE`,
          "INVALID_CONVERSATION_STAGE",
          { conversationStage: String(conversation.conversationStage) },
        );
      }
      return conversations.create({ name: { ...parent, id }, profile, requestedStage: conversation.conversationStage });
    },

    async getConversation(request) {
      return conversations.get(parseResourceName(request.name, CONVERSATIONS, "name"));
    },

    async completeConversation(request) {
      return conversations.complete(parseResourceName(request.name, CONVERSATIONS, "name"));
    },

    async ingestContextReferences(request) {
      const name = parseResourceName(request.conversation, CONVERSATIONS, "conversation");
      checkContextReferences(request.contextReferences);
      const incoming: JsonObject = {};
      for (const [key, reference] of Object.entries(request.contextReferences)) {
        incoming[key] = stripOutputOnly(Conversation_ContextReferenceSchema, toJson(Conversation_ContextReferenceSchema, reference) as JsonObject);
      }
      const stored = await conversations.ingestContextReferences(name, incoming);
      // The response holds the references this call wrote, as they now stand.
      const ingested = Object.fromEntries(Object.keys(request.contextReferences).map((key) => [key, stored[key]!]));
      return create(IngestContextReferencesResponseSchema, { ingestedContextReferences: ingested });
    },

    async listMessages(request) {
      const name = parseResourceName(request.parent, CONVERSATIONS, "parent");
      const limit = effectivePageSize(request.pageSize);
      const filter = parseMessageFilter(request.filter);
      // A token is valid only for the conversation (either spelling) and filter it was issued under.
      const scope = `${formatResourceName({ ...canonicalParent(name), id: name.id }, CONVERSATIONS)}\n${request.filter}`;
      const after = request.pageToken === "" ? undefined : decodePageToken(request.pageToken, scope, pageTokenSecret);
      const page = await messages.list(name, filter, after, limit);
      return create(ListMessagesResponseSchema, {
        messages: page.messages,
        nextPageToken: page.next === undefined ? "" : encodePageToken(page.next, scope, pageTokenSecret),
      });
    },

    async suggestConversationSummary() {
      return needsModel("SuggestConversationSummary", "summarises a conversation");
    },

    async generateStatelessSummary() {
      return needsModel("GenerateStatelessSummary", "summarises a conversation");
    },

    async generateStatelessSuggestion() {
      return needsModel("GenerateStatelessSuggestion", "generates suggestions");
    },

    async searchKnowledge() {
      return needsModel("SearchKnowledge", "answers from knowledge bases");
    },

    async generateSuggestions() {
      return needsModel("GenerateSuggestions", "runs the profile's generators");
    },

    async listConversations(request) {
      const parent = parseParent(request.parent, "parent");
      const limit = effectivePageSize(request.pageSize);
      const filter = parseFilter(request.filter);
      // A token is valid only for the parent and filter it was issued under.
      const scope = `${formatParent(canonicalParent(parent))}\n${request.filter}`;
      const after = request.pageToken === "" ? undefined : decodePageToken(request.pageToken, scope, pageTokenSecret);
      const page = await conversations.list(parent, filter, after, limit);
      return create(ListConversationsResponseSchema, {
        conversations: page.conversations,
        nextPageToken: page.next === undefined ? "" : encodePageToken(page.next, scope, pageTokenSecret),
      });
    },
  };
}
