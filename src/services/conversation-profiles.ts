import type { ServiceImpl } from "@connectrpc/connect";
import { create, toJson } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import {
  ConversationProfileSchema,
  ConversationProfiles,
  ListConversationProfilesResponseSchema,
  type ConversationProfile,
} from "../gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { InvalidFieldError, UnsupportedMethodError } from "../domain/errors.js";
import { stripOutputOnly } from "../domain/field-behavior.js";
import { resolveUpdateMask, touches } from "../domain/field-mask.js";
import { generateId } from "../domain/ids.js";
import { CONVERSATION_PROFILES, canonicalParent, formatParent, parseParent, parseResourceName } from "../domain/names.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "../domain/page-token.js";
import { checkProfileFields } from "../domain/profile-fields.js";
import type { ProfileBody, ProfileStore } from "../store/profiles.js";

export interface ConversationProfilesServiceOptions {
  readonly profiles: ProfileStore;
  /** Signs page tokens; the same for every replica. */
  readonly pageTokenSecret: string;
}

export function createConversationProfilesService(
  options: ConversationProfilesServiceOptions,
): ServiceImpl<typeof ConversationProfiles> {
  const { profiles, pageTokenSecret } = options;

  return {
    async createConversationProfile(request) {
      const parent = parseParent(request.parent, "parent");
      const profile = requireProfile(request.conversationProfile);
      checkProfileFields(profile, () => true);
      return profiles.create({ ...parent, id: generateId() }, toBody(profile));
    },

    async getConversationProfile(request) {
      return profiles.get(parseResourceName(request.name, CONVERSATION_PROFILES, "name"));
    },

    async listConversationProfiles(request) {
      const parent = parseParent(request.parent, "parent");
      const limit = effectivePageSize(request.pageSize);
      // Either spelling of the parent is the same collection, so a token serves both.
      const scope = formatParent(canonicalParent(parent));
      const after = request.pageToken === "" ? undefined : decodePageToken(request.pageToken, scope, pageTokenSecret);
      const page = await profiles.list(parent, after, limit);
      return create(ListConversationProfilesResponseSchema, {
        conversationProfiles: page.profiles,
        nextPageToken: page.next === undefined ? "" : encodePageToken(page.next, scope, pageTokenSecret),
      });
    },

    async updateConversationProfile(request) {
      const profile = requireProfile(request.conversationProfile);
      const name = parseResourceName(profile.name, CONVERSATION_PROFILES, "conversation_profile.name");
      const mask = resolveUpdateMask(ConversationProfileSchema, request.updateMask?.paths ?? [], {
        field: "update_mask",
        identifiers: ["name"],
      });
      checkProfileFields(profile, (path) => touches(mask, path));
      return profiles.update(name, toBody(profile), mask.jsonPaths);
    },

    async setSuggestionFeatureConfig() {
      return needsOperations("SetSuggestionFeatureConfig");
    },

    async clearSuggestionFeatureConfig() {
      return needsOperations("ClearSuggestionFeatureConfig");
    },

    async deleteConversationProfile(request) {
      await profiles.delete(parseResourceName(request.name, CONVERSATION_PROFILES, "name"));
      return create(EmptySchema);
    },
  };
}

// These two answer with a long-running operation, and this service serves no
// google.longrunning.Operations; the same change is one UpdateConversationProfile.
function needsOperations(method: string): never {
  throw new UnsupportedMethodError(
    "LONG_RUNNING_OPERATIONS_UNSUPPORTED",
    method,
    `${method} returns a long-running operation, which this service does not serve; ` +
      "change human_agent_assistant_config with UpdateConversationProfile instead",
  );
}

function requireProfile(profile: ConversationProfile | undefined): ConversationProfile {
  if (profile === undefined) throw new InvalidFieldError("conversation_profile", "is required", "CONVERSATION_PROFILE_MISSING");
  return profile;
}

/** What is stored of a profile: every field Google defines, less the name and the output-only ones. */
function toBody(profile: ConversationProfile): ProfileBody {
  const json = toJson(ConversationProfileSchema, profile) as ProfileBody;
  delete json.name;
  return stripOutputOnly(ConversationProfileSchema, json);
}
