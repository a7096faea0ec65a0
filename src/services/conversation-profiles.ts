import type { ServiceImpl } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import {
  ConversationProfiles,
  ListConversationProfilesResponseSchema,
  type ConversationProfile,
} from "../gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { InvalidFieldError } from "../domain/errors.js";
import { generateId } from "../domain/ids.js";
import { CONVERSATION_PROFILES, formatParent, parseParent, parseResourceName } from "../domain/names.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "../domain/page-token.js";
import {
  ALL_PROFILE_FIELDS,
  checkAgent,
  checkDisplayName,
  checkLanguageCode,
  checkTimeZone,
  parseProfileUpdateMask,
  type ProfileField,
} from "../domain/profile-fields.js";
import type { ProfileFields, ProfileStore } from "../store/profiles.js";

export interface ConversationProfilesServiceOptions {
  readonly profiles: ProfileStore;
  /** Signs page tokens; the same for every replica. */
  readonly pageTokenSecret: string;
}

export function createConversationProfilesService(
  options: ConversationProfilesServiceOptions,
): Partial<ServiceImpl<typeof ConversationProfiles>> {
  const { profiles, pageTokenSecret } = options;

  return {
    async createConversationProfile(request) {
      const parent = parseParent(request.parent, "parent");
      const profile = requireProfile(request.conversationProfile);
      return profiles.create({ ...parent, id: generateId() }, readFields(profile, ALL_PROFILE_FIELDS));
    },

    async getConversationProfile(request) {
      return profiles.get(parseResourceName(request.name, CONVERSATION_PROFILES, "name"));
    },

    async listConversationProfiles(request) {
      const parent = parseParent(request.parent, "parent");
      const limit = effectivePageSize(request.pageSize);
      const scope = formatParent(parent);
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
      const selected = parseProfileUpdateMask(request.updateMask?.paths ?? []);
      const fields = readFields(profile, selected);
      return profiles.update(name, fields, {
        displayName: selected.has("displayName"),
        agent: selected.has("agent"),
        languageCode: selected.has("languageCode"),
        timeZone: selected.has("timeZone"),
      });
    },

    async deleteConversationProfile(request) {
      await profiles.delete(parseResourceName(request.name, CONVERSATION_PROFILES, "name"));
      return create(EmptySchema);
    },
  };
}

function requireProfile(profile: ConversationProfile | undefined): ConversationProfile {
  if (profile === undefined) throw new InvalidFieldError("conversation_profile", "is required");
  return profile;
}

/** Validates the fields about to be written; fields not selected are not looked at. */
function readFields(profile: ConversationProfile, selected: ReadonlySet<ProfileField>): ProfileFields {
  const agent = profile.automatedAgentConfig?.agent ?? "";
  return {
    displayName: selected.has("displayName") ? checkDisplayName(profile.displayName, "conversation_profile.display_name") : "",
    agent: selected.has("agent") ? checkAgent(agent, "conversation_profile.automated_agent_config.agent") : "",
    languageCode: selected.has("languageCode") ? checkLanguageCode(profile.languageCode, "conversation_profile.language_code") : "",
    timeZone: selected.has("timeZone") ? checkTimeZone(profile.timeZone, "conversation_profile.time_zone") : "",
  };
}
