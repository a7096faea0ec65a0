// What the console shows, kept in the URL so a view can be bookmarked,
// shared and reloaded: /console/?parent=projects/P/locations/global&state=COMPLETED

export type Tab = "conversations" | "profiles";

export interface ConsoleState {
  /** projects/P or projects/P/locations/L; "" until one is chosen. */
  readonly parent: string;
  readonly tab: Tab;
  /** A LifecycleState name, or "" for any. */
  readonly state: string;
  /** A ConversationStage name, or "" for any. */
  readonly stage: string;
  /** The conversation or profile ID whose fields are shown, or "". */
  readonly open: string;
}

const STATES = ["IN_PROGRESS", "COMPLETED"];
const STAGES = ["VIRTUAL_AGENT_STAGE", "HUMAN_ASSIST_STAGE"];

export function readState(search: string): ConsoleState {
  const params = new URLSearchParams(search);
  const pick = (name: string, allowed: readonly string[]) => {
    const value = params.get(name) ?? "";
    return allowed.includes(value) ? value : "";
  };
  return {
    parent: (params.get("parent") ?? "").trim(),
    tab: params.get("tab") === "profiles" ? "profiles" : "conversations",
    state: pick("state", STATES),
    stage: pick("stage", STAGES),
    open: params.get("open") ?? "",
  };
}

/** The query string for a state, leaving defaults out; "/" stays readable in parents. */
export function writeState(state: ConsoleState): string {
  const parts: string[] = [];
  const add = (name: string, value: string) => {
    if (value !== "") parts.push(`${name}=${encodeURIComponent(value).replaceAll("%2F", "/")}`);
  };
  add("parent", state.parent);
  if (state.tab !== "conversations") add("tab", state.tab);
  add("state", state.state);
  add("stage", state.stage);
  add("open", state.open);
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}
