import type { ConversationProfile } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { Conversation_LifecycleState } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { createConsoleClients } from "./clients.js";
import { createConversationActivity, type ConversationActivity } from "./conversation-activity.js";
import { createConversationInteractively } from "./create-conversation.js";
import { countConversations, showCounts } from "./counts.js";
import { createConversationsView, PAGE_SIZES } from "./conversations-view.js";
import { askForToken, confirmAction } from "./dialogs.js";
import { conversationDetail } from "./conversation-detail.js";
import { findConversation } from "./find-conversation.js";
import { showDetail, showDetailStatus } from "./detail-panel.js";
import { errorText, localTime, resourceId } from "./display.js";
import { byId, fill, h } from "./elements.js";
import { conversationFilter } from "./list-filter.js";
import { createProfilesView } from "./profiles-view.js";
import { profileDetail } from "./profile-detail.js";
import { createEmulatorPanel, emulatorEnabled } from "./emulator-panel.js";
import { deleteProfileInteractively, editProfileInteractively } from "./profile-form.js";
import { profileUsage } from "./profile-usage.js";
import { readState, writeState, type ConsoleState } from "./url-state.js";
import { rememberParent, recentParents } from "./recent-parents.js";

// The console's controller: the URL holds what is shown, each change of it
// (links, filters, back/forward) reloads what differs, and a timer refreshes
// the list, the counts and the open conversation.

const REFRESH_MS = 5000;

// Declining the token question stops the refreshes from asking again every
// few seconds; opening a parent asks again.
let tokenDeclined = false;
const clients = createConsoleClients(async (reason) => {
  if (tokenDeclined) return undefined;
  const token = await askForToken(reason);
  tokenDeclined = token === undefined;
  return token;
});
let state = readState(location.search);
let profiles: ConversationProfile[] = [];
let pageTokens = [""];
let pageSize = PAGE_SIZES[0] ?? 25;
let nextPageToken = "";
// Set when the person opens something, so the next detail drawn takes focus.
let focusDetail = false;
// Answers that arrive after the view moved on are dropped.
let generation = 0;
// The open conversation's participants, transcript and turn form.
let activity: ConversationActivity | undefined;

const parentForm = byId<HTMLFormElement>("parent-form");
const parentInput = byId<HTMLInputElement>("parent-input");
const view = byId("view");
const detail = byId("detail");
const counts = byId("counts");
const updated = byId("updated");
const errors = byId("error");

const conversationsView = createConversationsView({
  filter: (lifecycle, stage) => navigate({ ...state, state: lifecycle, stage, open: "" }),
  pageSize(size) {
    pageSize = size;
    pageTokens = [""];
    void refreshList();
  },
  next() {
    if (nextPageToken === "") return;
    pageTokens.push(nextPageToken);
    void refreshList();
  },
  previous() {
    if (pageTokens.length > 1) pageTokens.pop();
    void refreshList();
  },
  create: () => void createConversation(""),
  linkTo: (id) => writeState({ ...state, open: id }) || "?",
  open: openItem,
  profileLabel(name) {
    const profile = profiles.find((candidate) => candidate.name === name);
    return profile?.displayName || resourceId(name);
  },
  async find(typed) {
    const found = await findConversation(clients, state.parent, typed);
    if ("id" in found) openItem(found.id);
    return "problem" in found ? found.problem : "";
  },
});
const profilesView = createProfilesView({
  linkTo: (id) => writeState({ ...state, open: id }) || "?",
  open: openItem,
  create: () => void editProfile(undefined),
});

// Shown only when the service serves the emulator's data routes (EMULATOR_RESET).
const emulatorPanel = createEmulatorPanel({
  changed: () => {
    generation++;
    profiles = [];
    void refreshAll(true);
  },
  showError,
});
let hasEmulator = false;
void emulatorEnabled().then((enabled) => {
  hasEmulator = enabled;
  errors.before(emulatorPanel.element);
  emulatorPanel.setParent(hasEmulator ? state.parent : "");
});

function openItem(id: string): void {
  focusDetail = true;
  navigate({ ...state, open: id });
}

function closeItem(): void {
  const id = state.open;
  navigate({ ...state, open: "" });
  view.querySelector<HTMLElement>(`a[data-id="${CSS.escape(id)}"]`)?.focus();
}

function navigate(next: ConsoleState, push = true): void {
  const url = `${location.pathname}${writeState(next)}`;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
  show(next);
}

function show(next: ConsoleState): void {
  const previous = state;
  state = next;
  generation++;
  showError("");
  parentInput.value = state.parent;
  emulatorPanel.setParent(hasEmulator ? state.parent : "");
  for (const tab of ["conversations", "profiles"] as const) {
    const link = byId<HTMLAnchorElement>(`tab-${tab}`);
    link.href = writeState({ ...state, tab, open: "" }) || "?";
    if (tab === state.tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (state.parent === "") {
    fill(view, h("p", { class: "hint" }, "Type a parent such as projects/my-project/locations/global and choose Open."));
    fill(counts);
    delete counts.dataset.text;
    detail.hidden = true;
    return;
  }
  rememberParent(state.parent);
  fillRecentParents();
  const filterChanged = previous.parent !== state.parent || previous.state !== state.state || previous.stage !== state.stage;
  if (filterChanged || pageTokens.length === 0) pageTokens = [""];
  if (previous.parent !== state.parent) conversationsView.setUsable(false);
  conversationsView.setFilter(state.state, state.stage);
  fill(view, state.tab === "conversations" ? conversationsView.element : profilesView.element);
  if (state.open === "") {
    detail.hidden = true;
    activity = undefined;
  }
  void refreshAll(previous.parent !== state.parent || state.tab === "profiles");
}

async function refreshAll(reloadProfiles: boolean): Promise<void> {
  if (state.parent === "") return;
  if (reloadProfiles || profiles.length === 0) await loadProfiles();
  await Promise.all([state.tab === "conversations" ? refreshList() : undefined, refreshCounts(), refreshDetail()]);
  const now = localTime(new Date());
  updated.textContent = `Updated ${now.clock}`;
}

async function loadProfiles(): Promise<void> {
  const asked = generation;
  try {
    const answer = await clients.profiles.listConversationProfiles({ parent: state.parent, pageSize: 1000 });
    if (asked !== generation) return;
    profiles = answer.conversationProfiles;
    profilesView.show(profiles);
  } catch (error) {
    if (asked === generation) showError(errorText(error));
  }
}

async function refreshList(): Promise<void> {
  const asked = generation;
  try {
    const answer = await clients.conversations.listConversations({
      parent: state.parent,
      filter: conversationFilter(state.state, state.stage),
      pageSize,
      pageToken: pageTokens[pageTokens.length - 1] ?? "",
    });
    if (asked !== generation) return;
    nextPageToken = answer.nextPageToken;
    conversationsView.show({
      conversations: answer.conversations,
      pageNumber: pageTokens.length,
      hasPrevious: pageTokens.length > 1,
      hasNext: nextPageToken !== "",
    });
  } catch (error) {
    if (asked !== generation) return;
    showError(errorText(error));
    conversationsView.setUsable(false);
  }
}

async function refreshCounts(): Promise<void> {
  const asked = generation;
  try {
    const [running, done] = await Promise.all(
      ["IN_PROGRESS", "COMPLETED"].map((lifecycle) => countConversations(clients.conversations, state.parent, lifecycle)),
    );
    if (asked !== generation || running === undefined || done === undefined) return;
    showCounts(counts, running, done);
  } catch (error) {
    if (asked === generation) showError(errorText(error));
  }
}

async function refreshDetail(): Promise<void> {
  if (state.open === "") return;
  const asked = generation;
  const takeFocus = focusDetail;
  focusDetail = false;
  try {
    if (state.tab === "conversations") {
      const name = `${state.parent}/conversations/${state.open}`;
      if (activity?.conversation !== name) activity = createConversationActivity(clients, name);
      const shown = activity;
      const [conversation] = await Promise.all([clients.conversations.getConversation({ name }), shown.refresh()]);
      if (asked !== generation) return;
      const running = conversation.lifecycleState === Conversation_LifecycleState.IN_PROGRESS;
      shown.setRunning(running);
      const actions = { complete: (name: string) => void completeConversation(name), status: (text: string) => showDetailStatus(detail, text) };
      showDetail(detail, conversationDetail(conversation, profiles, actions, shown.element), closeItem, takeFocus);
    } else {
      const profile = await clients.profiles.getConversationProfile({ name: `${state.parent}/conversationProfiles/${state.open}` });
      const usage = await profileUsage(clients.conversations, state.parent, profile.name);
      if (asked !== generation) return;
      const actions = { createConversation: (p: ConversationProfile) => void createConversation(p.name), edit: (p: ConversationProfile) => void editProfile(p), remove: (p: ConversationProfile) => void deleteProfile(p) };
      showDetail(detail, profileDetail(profile, usage, actions), closeItem, takeFocus);
    }
  } catch (error) {
    if (asked === generation) showError(errorText(error));
  }
}

async function completeConversation(name: string): Promise<void> {
  const id = resourceId(name);
  if (!(await confirmAction("Complete conversation", `Complete conversation ${id}? It ends now and cannot be resumed.`, "Complete"))) return;
  try {
    await clients.conversations.completeConversation({ name });
    generation++;
    await refreshAll(false);
  } catch (error) {
    showError(errorText(error));
  }
}

async function editProfile(existing: ConversationProfile | undefined): Promise<void> {
  const saved = await editProfileInteractively(clients, state.parent, existing);
  if (saved === undefined) return;
  focusDetail = true;
  generation++;
  await loadProfiles();
  navigate({ ...state, tab: "profiles", open: resourceId(saved.name) });
}

async function deleteProfile(profile: ConversationProfile): Promise<void> {
  const outcome = await deleteProfileInteractively(clients, profile);
  if (outcome === "kept") return;
  if (outcome !== "deleted") return showError(outcome);
  profiles = profiles.filter((candidate) => candidate.name !== profile.name);
  navigate({ ...state, open: "" });
  byId("new-profile").focus();
}

async function createConversation(profileName: string): Promise<void> {
  if (profiles.length === 0) await loadProfiles();
  const created = await createConversationInteractively(clients, state.parent, profiles, profileName);
  if (created === undefined) return;
  focusDetail = true;
  navigate({ ...state, tab: "conversations", state: "", stage: "", open: resourceId(created.name) });
}

function showError(text: string): void {
  errors.textContent = text;
  errors.hidden = text === "";
}

function fillRecentParents(): void {
  fill(byId("recent-parents"), ...recentParents().map((parent) => h("option", { value: parent })));
}

parentForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const parent = parentInput.value.trim();
  tokenDeclined = false;
  if (parent !== "") navigate({ ...state, parent, open: "" });
});
for (const tab of ["conversations", "profiles"] as const) {
  byId(`tab-${tab}`).addEventListener("click", (event) => {
    const mouse = event as MouseEvent;
    if (mouse.ctrlKey || mouse.metaKey || mouse.shiftKey) return;
    event.preventDefault();
    navigate({ ...state, tab, open: "" });
  });
}
window.addEventListener("popstate", () => show(readState(location.search)));
setInterval(() => {
  if (document.visibilityState === "visible" && !byId<HTMLDialogElement>("dialog").open) void refreshAll(state.tab === "profiles");
}, REFRESH_MS);

fillRecentParents();
if (state.parent === "" && recentParents()[0] !== undefined) navigate({ ...state, parent: recentParents()[0] ?? "" }, false);
else show(state);
