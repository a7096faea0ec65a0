import type { Client } from "@connectrpc/connect";
import type { Conversations } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { countText } from "./display.js";
import { fill, h } from "./elements.js";

// The API has no count: the console counts what one filtered List page
// returns, up to a cap, and says "1000+" beyond it. Two calls per refresh,
// each bounded by the cap, whatever the size of the parent. Shown in the header.

export const COUNT_CAP = 1000;

export interface StateCount {
  readonly count: number;
  readonly hasMore: boolean;
}

export async function countConversations(client: Client<typeof Conversations>, parent: string, state: string, cap = COUNT_CAP): Promise<StateCount> {
  const page = await client.listConversations({ parent, filter: `lifecycle_state = ${state}`, pageSize: cap });
  return { count: page.conversations.length, hasMore: page.nextPageToken !== "" };
}

/** The header's counts. A live region: touched only on change, so screen readers stay quiet. */
export function showCounts(element: HTMLElement, running: StateCount, done: StateCount): void {
  const text = `${countText(running.count, running.hasMore)} in progress, ${countText(done.count, done.hasMore)} completed`;
  if (element.dataset.text === text) return;
  element.dataset.text = text;
  fill(
    element,
    h("span", { id: "count-in-progress" }, h("strong", {}, countText(running.count, running.hasMore)), " in progress"),
    h("span", { id: "count-completed" }, h("strong", {}, countText(done.count, done.hasMore)), " completed"),
  );
}
