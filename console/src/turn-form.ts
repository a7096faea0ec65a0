import type { Participant } from "../../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import { Participant_Role } from "../../src/gen/google/cloud/dialogflow/v2/participant_pb.js";
import type { ConsoleClients } from "./clients.js";
import { enumLabel, errorText } from "./display.js";
import { fill, h } from "./elements.js";
import { participantLabel, TURN_ROLES } from "./transcript.js";

// Adds a text turn to the open conversation as one of its participants, or as
// a new one with a chosen role: CreateParticipant if needed, then
// AnalyzeContent. The virtual agent's reply_text (or why there is none) is
// shown under the form; the turn itself appears in the transcript.

export interface TurnForm {
  readonly element: HTMLElement;
  /** The conversation's participants, offered in the picker (the choice is kept). */
  setParticipants(participants: readonly Participant[]): void;
  /** Turns can be added only while the conversation is in progress. */
  setRunning(running: boolean): void;
}

const NEW_PARTICIPANT = "";

export function createTurnForm(clients: ConsoleClients, conversation: string, sent: () => Promise<void>): TurnForm {
  const picker = h("select", { id: "turn-participant", name: "participant", onchange: () => showRole() });
  const role = h("select", { id: "turn-role", name: "role" },
    ...TURN_ROLES.map((value) => h("option", { value: Participant_Role[value] }, enumLabel(Participant_Role[value]))),
  );
  const roleField = h("div", { class: "field" }, h("label", { for: "turn-role" }, "Role of the new participant"), role);
  const text = h("input", { id: "turn-text", name: "text", required: true, autocomplete: "off" });
  const status = h("p", { id: "turn-status", role: "status" });
  const closedNote = h("p", { class: "hint", hidden: true }, "The conversation is completed: it takes no more turns.");
  const controls = h("fieldset", { class: "turn-controls" },
    h("div", { class: "field" }, h("label", { for: "turn-participant" }, "As participant"), picker),
    roleField,
    h("div", { class: "field turn-text-field" }, h("label", { for: "turn-text" }, "Text"), text),
    h("button", { id: "turn-send", class: "primary" }, "Send"),
  );
  const form = h("form", { id: "turn-form", "aria-labelledby": "turn-heading", onsubmit: (event) => void submit(event) },
    h("h3", { id: "turn-heading" }, "Add a turn"), closedNote, controls, status,
  );
  let participants: readonly Participant[] = [];
  let participantsKey = "-";
  let sending = false;
  // A retry of a turn that failed (same participant, same text) reuses its
  // request_id, so a turn the service did store is not stored twice.
  let attempt = { participant: "", text: "", requestId: "" };

  function setParticipants(next: readonly Participant[]): void {
    const key = next.map((participant) => participant.name).join(" ");
    if (key === participantsKey) return;
    participantsKey = key;
    participants = next;
    const chosen = picker.value;
    fill(picker,
      ...next.map((participant) => h("option", { value: participant.name }, participantLabel(participant))),
      h("option", { value: NEW_PARTICIPANT }, "New participant…"),
    );
    picker.value = next.some((participant) => participant.name === chosen) ? chosen : (next[0]?.name ?? NEW_PARTICIPANT);
    showRole();
  }

  function showRole(): void {
    roleField.hidden = picker.value !== NEW_PARTICIPANT;
  }

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (sending) return;
    sending = true;
    form.setAttribute("aria-busy", "true");
    showStatus("Sending…");
    try {
      const participant = picker.value === NEW_PARTICIPANT ? await createParticipant() : picker.value;
      const requestId = attempt.participant === participant && attempt.text === text.value ? attempt.requestId : randomRequestId();
      attempt = { participant, text: text.value, requestId };
      const answer = await clients.participants.analyzeContent({ participant, requestId, input: { case: "textInput", value: { text: text.value, languageCode: "" } } });
      attempt = { participant: "", text: "", requestId: "" };
      text.value = "";
      const webhookStatus = answer.automatedAgentReply?.detectIntentResponse?.webhookStatus;
      if (answer.replyText !== "") showStatus(`Virtual agent: ${answer.replyText}`, "turn-reply");
      else if (webhookStatus !== undefined && webhookStatus.code !== 0) showStatus(`The virtual agent did not answer: ${webhookStatus.message}`, "error");
      else showStatus("Sent.");
      await sent();
    } catch (error) {
      showStatus(errorText(error), "error");
    } finally {
      sending = false;
      form.removeAttribute("aria-busy");
    }
  }

  async function createParticipant(): Promise<string> {
    const created = await clients.participants.createParticipant({
      parent: conversation,
      participant: { role: Participant_Role[role.value as keyof typeof Participant_Role] },
    });
    setParticipants([...participants, created]);
    picker.value = created.name;
    showRole();
    return created.name;
  }

  function showStatus(message: string, kind = ""): void {
    status.textContent = message;
    status.className = kind;
  }

  return {
    element: form,
    setParticipants,
    setRunning(running) {
      controls.disabled = !running;
      closedNote.hidden = running;
    },
  };
}

/** 32 hex digits: crypto.randomUUID exists only on secure origins, and the console may be served over plain HTTP. */
function randomRequestId(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
