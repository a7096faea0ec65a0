import type { Client } from "@connectrpc/connect";
import type { Conversations } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";

// The API has no count: the console counts what one filtered List page
// returns, up to a cap, and says "1000+" beyond it. Two calls per refresh,
// each bounded by the cap, whatever the size of the parent.

export const COUNT_CAP = 1000;

export interface StateCount {
  readonly count: number;
  readonly hasMore: boolean;
}

export async function countConversations(client: Client<typeof Conversations>, parent: string, state: string, cap = COUNT_CAP): Promise<StateCount> {
  const page = await client.listConversations({ parent, filter: `lifecycle_state = ${state}`, pageSize: cap });
  return { count: page.conversations.length, hasMore: page.nextPageToken !== "" };
}
