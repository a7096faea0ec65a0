import type { Participant } from "../../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { Participant_Role } from "../../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import type { ConsoleClients } from "./clients.js";
import { enumLabel, resourceId, timestampText } from "./display.js";
import { fill, h } from "./elements.js";
import { chatTurns, transcriptChange, type ChatTurn } from "./transcript.js";
import { createTurnForm } from "./turn-form.js";

// What happens in the open conversation: its participants, its transcript as
// a chat (oldest first), and the form that adds a turn. Built once per opened
// conversation and refreshed in place, so typing is never interrupted.

export interface ConversationActivity {
  readonly conversation: string;
  readonly element: HTMLElement;
  /** Loads the participants and the latest messages and shows what changed. */
  refresh(): Promise<void>;
  setRunning(running: boolean): void;
}

/** The transcript shows the latest page of ListMessages. */
export const TRANSCRIPT_PAGE_SIZE = 200;

export function createConversationActivity(clients: ConsoleClients, conversation: string): ConversationActivity {
  const participantList = h("ul", { id: "participants", class: "participants" });
  const transcript = h("ol", { id: "transcript", class: "transcript", role: "log", "aria-labelledby": "transcript-heading", tabindex: 0 });
  const empty = h("p", { id: "transcript-empty", class: "hint" }, "No messages yet.");
  const earlier = h("p", { id: "transcript-earlier", class: "hint", hidden: true }, `Showing the latest ${TRANSCRIPT_PAGE_SIZE} messages.`);
  const form = createTurnForm(clients, conversation, () => refresh());
  const element = h("div", { class: "activity" },
    h("section", { "aria-labelledby": "participants-heading" }, h("h3", { id: "participants-heading" }, "Participants"), participantList),
    h("section", { "aria-labelledby": "transcript-heading" }, h("h3", { id: "transcript-heading" }, "Transcript"), earlier, empty, transcript),
    form.element,
  );
  let shown: string[] = [];
  let participantsKey = "-";
  // Refreshes overlap (the timer, a sent turn): only the latest one asked is drawn.
  let asked = 0;
  let drawn = 0;

  async function refresh(): Promise<void> {
    const mine = ++asked;
    const [participants, messages] = await Promise.all([
      clients.participants.listParticipants({ parent: conversation, pageSize: 1000 }),
      clients.conversations.listMessages({ parent: conversation, pageSize: TRANSCRIPT_PAGE_SIZE }),
    ]);
    if (mine < drawn) return;
    drawn = mine;
    showParticipants(participants.participants);
    form.setParticipants(participants.participants);
    showTurns(chatTurns(messages.messages));
    earlier.hidden = messages.nextPageToken === "";
  }

  function showParticipants(participants: readonly Participant[]): void {
    const key = participants.map((participant) => participant.name).join(" ");
    if (key === participantsKey) return;
    participantsKey = key;
    if (participants.length === 0) {
      fill(participantList, h("li", { class: "hint" }, "None yet."));
      return;
    }
    fill(participantList, ...participants.map((participant) =>
      h("li", { "data-participant": participant.name },
        h("span", { class: "badge" }, enumLabel(Participant_Role[participant.role])), " ", h("span", { class: "id" }, resourceId(participant.name))),
    ));
  }

  function showTurns(turns: readonly ChatTurn[]): void {
    const next = turns.map((turn) => turn.name);
    const change = transcriptChange(shown, next);
    const atBottom = transcript.scrollTop + transcript.clientHeight >= transcript.scrollHeight - 8;
    if (change === "rebuild") {
      fill(transcript, ...turns.map(turnElement));
    } else {
      for (let i = 0; i < change.drop; i++) transcript.firstElementChild?.remove();
      const added = new Set(change.append);
      for (const turn of turns) if (added.has(turn.name)) transcript.append(turnElement(turn));
    }
    const first = shown.length === 0;
    shown = next;
    empty.hidden = turns.length > 0;
    transcript.hidden = turns.length === 0;
    // Follow new turns, unless the person scrolled up to read earlier ones.
    if (first || atBottom) transcript.scrollTop = transcript.scrollHeight;
  }

  return { conversation, element, refresh, setRunning: (running) => form.setRunning(running) };
}

function turnElement(turn: ChatTurn): HTMLElement {
  const time = timestampText(turn.createTime);
  return h("li", { class: turn.role === "END_USER" ? "turn from-user" : "turn from-agent", "data-message": turn.name, "data-role": turn.role },
    h("p", { class: "turn-meta" },
      h("span", { class: "turn-role" }, turn.roleLabel), " ",
      h("span", { class: "turn-participant" }, turn.participantId), " ",
      time !== undefined && h("time", { datetime: time.iso, title: `${time.day} ${time.clock}` }, time.clock),
    ),
    h("p", { class: "turn-text" }, turn.text),
  );
}
