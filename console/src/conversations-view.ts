import type { Conversation } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { Conversation_ConversationStage, Conversation_LifecycleState } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { enumLabel, resourceId } from "./display.js";
import { fill, h } from "./elements.js";
import { openLink } from "./open-link.js";
import { timeCell } from "./time-element.js";

// The conversations tab: state and stage filters, a table of one page
// (newest first, as List returns it) and the pager.

export interface ConversationsPage {
  readonly conversations: readonly Conversation[];
  readonly pageNumber: number;
  readonly hasPrevious: boolean;
  readonly hasNext: boolean;
}

export interface ConversationsViewActions {
  filter(state: string, stage: string): void;
  pageSize(size: number): void;
  next(): void;
  previous(): void;
  create(): void;
  /** The URL that opens a conversation, for links that work with the keyboard and in new tabs. */
  linkTo(conversationId: string): string;
  open(conversationId: string): void;
  /** A profile's display name, when known. */
  profileLabel(profileName: string): string;
  /** Opens the conversation with this ID under the parent; resolves with what went wrong, or "". */
  find(conversationId: string): Promise<string>;
}

export interface ConversationsView {
  readonly element: HTMLElement;
  setFilter(state: string, stage: string): void;
  show(page: ConversationsPage): void;
  /**
   * Whether the parent's list answered: until it does (a malformed parent, no token yet while
   * tokens are required) paging, New conversation and Find cannot work, so they are disabled.
   */
  setUsable(usable: boolean): void;
}

export const PAGE_SIZES = [25, 50, 100];

export function createConversationsView(actions: ConversationsViewActions): ConversationsView {
  const stateSelect = select("filter-state", "State", [["", "Any"], ["IN_PROGRESS", "In progress"], ["COMPLETED", "Completed"]]);
  const stageSelect = select("filter-stage", "Stage", [["", "Any"], ["VIRTUAL_AGENT_STAGE", "Virtual agent"], ["HUMAN_ASSIST_STAGE", "Human assist"]]);
  const sizeSelect = select("page-size", "Per page", PAGE_SIZES.map((size) => [String(size), String(size)]));
  const onFilter = () => actions.filter(stateSelect.control.value, stageSelect.control.value);
  stateSelect.control.addEventListener("change", onFilter);
  stageSelect.control.addEventListener("change", onFilter);
  sizeSelect.control.addEventListener("change", () => actions.pageSize(Number(sizeSelect.control.value)));

  const body = h("tbody");
  const table = h(
    "table",
    { id: "conversations" },
    h("caption", { class: "visually-hidden" }, "Conversations, newest first"),
    h("thead", {}, h("tr", {}, ...["ID", "State", "Stage", "Profile", "Phone number", "Start", "End"].map((label) => h("th", { scope: "col" }, label)))),
    body,
  );
  const previous = h("button", { type: "button", id: "page-previous", disabled: true, onclick: () => actions.previous() }, "Previous");
  const next = h("button", { type: "button", id: "page-next", disabled: true, onclick: () => actions.next() }, "Next");
  const create = h("button", { type: "button", class: "primary", id: "new-conversation", disabled: true, onclick: () => actions.create() }, "New conversation");
  const findInput = h("input", { id: "find-id", name: "id", required: true, autocomplete: "off", spellcheck: "false", placeholder: "call-0001", disabled: true });
  const findButton = h("button", { id: "find-open", disabled: true }, "Open");
  const findStatus = h("p", { id: "find-status", class: "error", role: "alert", hidden: true });
  const find = h("form", { class: "find", role: "search", "aria-label": "Find a conversation by ID", onsubmit: (event) => {
    event.preventDefault();
    const id = findInput.value.trim();
    if (id === "") return;
    findStatus.hidden = true;
    void actions.find(id).then((problem) => {
      findStatus.textContent = problem;
      findStatus.hidden = problem === "";
      if (problem === "") findInput.value = "";
    });
  } }, h("div", { class: "field" }, h("label", { for: "find-id" }, "Conversation ID"), findInput), findButton);
  let hasPrevious = false;
  let hasNext = false;
  let usable = false;
  const enable = () => {
    previous.disabled = !usable || !hasPrevious;
    next.disabled = !usable || !hasNext;
    create.disabled = !usable;
    findInput.disabled = !usable;
    findButton.disabled = !usable;
  };
  const pageLabel = h("span", { id: "page-number" });
  const element = h(
    "section",
    { "aria-labelledby": "conversations-heading" },
    h("div", { class: "toolbar" },
      h("h2", { id: "conversations-heading" }, "Conversations"),
      h("form", { class: "filters", "aria-label": "Filter conversations", onsubmit: (event) => event.preventDefault() }, stateSelect.field, stageSelect.field, sizeSelect.field),
      find,
      create,
    ),
    findStatus,
    h("div", { class: "table-scroll" }, table),
    h("nav", { class: "pager", "aria-label": "Pages" }, previous, pageLabel, next),
  );

  let shownKey = "";
  return {
    element,
    setFilter(state, stage) {
      stateSelect.control.value = state;
      stageSelect.control.value = stage;
    },
    setUsable(isUsable) {
      usable = isUsable;
      if (!usable) findStatus.hidden = true;
      enable();
    },
    show(page) {
      hasPrevious = page.hasPrevious;
      hasNext = page.hasNext;
      usable = true;
      enable();
      pageLabel.textContent = `Page ${page.pageNumber}`;
      // Polling repeats the same page most of the time: only redraw on change,
      // so focus and scroll stay where the person left them.
      const key = JSON.stringify(page.conversations.map((c) => [c.name, c.lifecycleState, c.conversationStage, c.endTime?.seconds.toString()]));
      if (key === shownKey) return;
      shownKey = key;
      const focusedId = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.id : undefined;
      fill(body, ...page.conversations.map((conversation) => row(conversation, actions)));
      if (page.conversations.length === 0) fill(body, h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No conversations match.")));
      if (focusedId !== undefined) body.querySelector<HTMLElement>(`a[data-id="${CSS.escape(focusedId)}"]`)?.focus();
    },
  };
}

function row(conversation: Conversation, actions: ConversationsViewActions): HTMLTableRowElement {
  const id = resourceId(conversation.name);
  const state = enumLabel(Conversation_LifecycleState[conversation.lifecycleState]);
  const link = openLink(id, id, actions);
  return h(
    "tr",
    { "data-state": Conversation_LifecycleState[conversation.lifecycleState] },
    h("th", { scope: "row", "data-label": "ID" }, link),
    h("td", { "data-label": "State" }, h("span", { class: `badge ${conversation.lifecycleState === Conversation_LifecycleState.IN_PROGRESS ? "running" : "done"}` }, state)),
    h("td", { "data-label": "Stage" }, enumLabel(Conversation_ConversationStage[conversation.conversationStage])),
    h("td", { "data-label": "Profile" }, actions.profileLabel(conversation.conversationProfile)),
    h("td", { "data-label": "Phone number" }, conversation.phoneNumber?.phoneNumber || "—"),
    h("td", { "data-label": "Start" }, timeCell(conversation.startTime)),
    h("td", { "data-label": "End" }, timeCell(conversation.endTime)),
  );
}

function select(id: string, label: string, options: readonly (readonly [string, string])[]): { field: HTMLElement; control: HTMLSelectElement } {
  const control = h("select", { id, name: id }, ...options.map(([value, text]) => h("option", { value }, text)));
  return { field: h("div", { class: "field" }, h("label", { for: id }, label), control), control };
}
