import type { Client } from "@connectrpc/connect";
import { Conversation_LifecycleState, type Conversations } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";

// How much a profile is used: its conversations, counted through filtered
// List pages up to a cap (the API has no count), and the telephony numbers
// its running conversations hold. The v2 API has no method that lists a
// profile's numbers (they come from the bootstrap file), so the held ones are
// what the console can show.

export const PROFILE_COUNT_PAGES = 5;
export const PROFILE_COUNT_PAGE_SIZE = 1000;

export interface ProfileUsage {
  readonly count: number;
  /** More conversations than the pages counted. */
  readonly hasMore: boolean;
  /** Numbers held by its IN_PROGRESS conversations among those counted. */
  readonly numbersInUse: readonly string[];
}

export async function profileUsage(
  client: Client<typeof Conversations>,
  parent: string,
  profile: string,
  { pages = PROFILE_COUNT_PAGES, pageSize = PROFILE_COUNT_PAGE_SIZE } = {},
): Promise<ProfileUsage> {
  const filter = `conversation_profile = ${JSON.stringify(profile)}`;
  let count = 0;
  let pageToken = "";
  const numbers = new Set<string>();
  for (let page = 0; page < pages; page++) {
    const answer = await client.listConversations({ parent, filter, pageSize, pageToken });
    count += answer.conversations.length;
    for (const conversation of answer.conversations) {
      const number = conversation.phoneNumber?.phoneNumber ?? "";
      if (number !== "" && conversation.lifecycleState === Conversation_LifecycleState.IN_PROGRESS) numbers.add(number);
    }
    pageToken = answer.nextPageToken;
    if (pageToken === "") break;
  }
  return { count, hasMore: pageToken !== "", numbersInUse: [...numbers].sort() };
}
