// The ListConversations filter (AIP-160) the state and stage pickers stand for.

export function conversationFilter(state: string, stage: string): string {
  const terms: string[] = [];
  if (state !== "") terms.push(`lifecycle_state = ${state}`);
  if (stage !== "") terms.push(`conversation_stage = ${stage}`);
  return terms.join(" AND ");
}
