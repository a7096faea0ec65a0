import { Code, ConnectError } from "@connectrpc/connect";
import type { ConsoleClients } from "./clients.js";
import { errorText, resourceId } from "./display.js";

// The ID search: GetConversation under the parent for what the person typed,
// an ID or the conversation's full name; NOT_FOUND said in plain words.

export type FoundConversation = { readonly id: string } | { readonly problem: string };

export async function findConversation(clients: ConsoleClients, parent: string, typed: string): Promise<FoundConversation> {
  const prefix = `${parent}/conversations/`;
  const id = typed.startsWith(prefix) ? typed.slice(prefix.length) : typed;
  try {
    return { id: resourceId((await clients.conversations.getConversation({ name: `${prefix}${id}` })).name) };
  } catch (error) {
    if (ConnectError.from(error).code === Code.NotFound) return { problem: `No conversation with ID ${id} under ${parent}.` };
    return { problem: errorText(error) };
  }
}
