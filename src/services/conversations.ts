import type { ServiceImpl } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import {
  Conversation_ConversationStage,
  Conversations,
  ListConversationsResponseSchema,
} from "../gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { InvalidFieldError } from "../domain/errors.js";
import { parseFilter } from "../domain/filter.js";
import { generateId } from "../domain/ids.js";
import {
  CONVERSATIONS,
  CONVERSATION_PROFILES,
  canonicalParent,
  checkClientId,
  formatParent,
  parseParent,
  parseResourceName,
  storedLocation,
} from "../domain/names.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "../domain/page-token.js";
import type { ConversationStore } from "../store/conversations.js";

export interface ConversationsServiceOptions {
  readonly conversations: ConversationStore;
  /** Signs page tokens; the same for every replica. */
  readonly pageTokenSecret: string;
}

const KNOWN_STAGES = new Set<number>(
  Object.values(Conversation_ConversationStage).filter((value) => typeof value === "number"),
);

export function createConversationsService(options: ConversationsServiceOptions): Partial<ServiceImpl<typeof Conversations>> {
  const { conversations, pageTokenSecret } = options;

  return {
    async createConversation(request) {
      const parent = parseParent(request.parent, "parent");
      const id = request.conversationId === "" ? generateId() : checkClientId(request.conversationId, "conversation_id");
      const conversation = request.conversation;
      if (conversation === undefined) {
        throw new InvalidFieldError("conversation", "is required and must name a conversation_profile");
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
