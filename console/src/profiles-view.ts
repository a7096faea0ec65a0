import type { ConversationProfile } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { resourceId } from "./display.js";
import { fill, h } from "./elements.js";
import { openLink } from "./open-link.js";
import { timeCell } from "./time-element.js";

// The profiles tab: every profile of the parent with its main settings; a
// profile's full settings open in the detail panel.

export interface ProfilesViewActions {
  linkTo(profileId: string): string;
  open(profileId: string): void;
  create(): void;
}

export interface ProfilesView {
  readonly element: HTMLElement;
  show(profiles: readonly ConversationProfile[]): void;
}

export function createProfilesView(actions: ProfilesViewActions): ProfilesView {
  const body = h("tbody");
  const element = h(
    "section",
    { "aria-labelledby": "profiles-heading" },
    h("div", { class: "toolbar" },
      h("h2", { id: "profiles-heading" }, "Conversation profiles"),
      h("button", { type: "button", class: "primary", id: "new-profile", onclick: () => actions.create() }, "New profile"),
    ),
    h("div", { class: "table-scroll" },
      h("table", { id: "profiles" },
        h("caption", { class: "visually-hidden" }, "Conversation profiles"),
        h("thead", {}, h("tr", {}, ...["Display name", "ID", "Language", "Time zone", "Virtual agent", "Updated"].map((label) => h("th", { scope: "col" }, label)))),
        body,
      ),
    ),
  );
  let shownKey = "";
  return {
    element,
    show(profiles) {
      // Refreshes mostly repeat the same profiles: redraw only on change, keeping focus.
      const key = JSON.stringify(profiles.map((p) => [p.name, p.displayName, p.updateTime?.seconds.toString(), p.updateTime?.nanos]));
      if (key === shownKey) return;
      shownKey = key;
      fill(body, ...profiles.map((profile) => row(profile, actions)));
      if (profiles.length === 0) fill(body, h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No profiles under this parent.")));
    },
  };
}

function row(profile: ConversationProfile, actions: ProfilesViewActions): HTMLTableRowElement {
  const id = resourceId(profile.name);
  const link = openLink(id, profile.displayName || id, actions);
  return h(
    "tr",
    {},
    h("th", { scope: "row", "data-label": "Display name" }, link),
    h("td", { "data-label": "ID", class: "id" }, id),
    h("td", { "data-label": "Language" }, profile.languageCode || "—"),
    h("td", { "data-label": "Time zone" }, profile.timeZone || "—"),
    h("td", { "data-label": "Virtual agent" }, profile.automatedAgentConfig?.agent || "—"),
    h("td", { "data-label": "Updated" }, timeCell(profile.updateTime)),
  );
}
