import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Message, Participant } from "../../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { Participant_Role } from "../../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { enumLabel, resourceId } from "./display.js";

// A conversation's messages as a chat reads: oldest first, each with who said
// it. ListMessages answers newest first; the page shows its latest page.

export interface ChatTurn {
  readonly name: string;
  /** The Participant_Role name, e.g. "END_USER". */
  readonly role: string;
  /** "End user", "Human agent", "Automated agent". */
  readonly roleLabel: string;
  readonly participantId: string;
  readonly text: string;
  readonly createTime: Timestamp | undefined;
}

/** Messages as ListMessages returns them (newest first) turned into chat order. */
export function chatTurns(newestFirst: readonly Message[]): ChatTurn[] {
  return [...newestFirst].reverse().map((message) => {
    const role = Participant_Role[message.participantRole] ?? "ROLE_UNSPECIFIED";
    return {
      name: message.name,
      role,
      roleLabel: enumLabel(role),
      participantId: resourceId(message.participant),
      text: message.content,
      createTime: message.createTime,
    };
  });
}

/**
 * How the shown transcript becomes the next one: drop the oldest that left
 * the page and append the new, so a screen reader announces only new turns;
 * "rebuild" when the two do not line up that way.
 */
export function transcriptChange(shown: readonly string[], next: readonly string[]): { readonly drop: number; readonly append: readonly string[] } | "rebuild" {
  const inNext = new Set(next);
  let drop = 0;
  while (drop < shown.length && !inNext.has(shown[drop] ?? "")) drop++;
  const kept = shown.slice(drop);
  if (kept.some((name, index) => next[index] !== name)) return "rebuild";
  return { drop, append: next.slice(kept.length) };
}

/** "End user · 8Zq3…", as the participant picker lists it. */
export function participantLabel(participant: Participant): string {
  return `${enumLabel(Participant_Role[participant.role])} · ${resourceId(participant.name)}`;
}

/** The roles a person can add a turn as, in the order offered. */
export const TURN_ROLES: readonly Participant_Role[] = [Participant_Role.END_USER, Participant_Role.HUMAN_AGENT, Participant_Role.AUTOMATED_AGENT];
