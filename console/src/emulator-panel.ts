import { confirmAction } from "./dialogs.js";
import { fill, h } from "./elements.js";
import { TOKEN_KEY } from "./clients.js";

// With EMULATOR_RESET on (the service then answers /console/emulator.js with
// reset: true), the parent's project can be erased, saved as a file and loaded
// from one: the emulator's HTTP routes, the export file of `cli.js export`.

export interface EmulatorPanel {
  readonly element: HTMLElement;
  /** The parent whose project the panel acts on, or "" for none: the panel shows only with one. */
  setParent(parent: string): void;
}

export interface EmulatorPanelActions {
  /** The project's data changed: reload what is shown. */
  changed(): void;
  showError(text: string): void;
}

/** Whether the service serves the emulator's data routes. */
export async function emulatorEnabled(): Promise<boolean> {
  try {
    const info = (await import(/* the service may answer it itself */ new URL("emulator.js", location.href).href)) as { default?: { reset?: boolean } };
    return info.default?.reset === true;
  } catch {
    return false;
  }
}

export function createEmulatorPanel(actions: EmulatorPanelActions): EmulatorPanel {
  let project = "";
  const heading = h("h2", { id: "emulator-heading" });
  const status = h("p", { id: "emulator-status", class: "hint", role: "status" });
  const replace = h("input", { type: "checkbox", id: "import-replace" });
  const file = h("input", { type: "file", id: "import-file", accept: "application/json,.json" });
  file.addEventListener("change", () => void importFile());
  const element = h("section", { id: "emulator", class: "emulator", "aria-labelledby": "emulator-heading", hidden: true },
    heading,
    h("div", { class: "emulator-actions" },
      h("button", { type: "button", id: "export-project", onclick: () => void exportFile() }, "Export to a file"),
      h("label", { for: "import-file" }, "Import a file: "), file,
      h("label", { class: "inline" }, replace, " replacing the project's data"),
      h("button", { type: "button", id: "erase-project", class: "danger", onclick: () => void erase() }, "Erase this project's data"),
    ),
    status,
  );

  async function call(method: string, path: string, body?: string): Promise<unknown> {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers: Record<string, string> = { "content-type": "application/json", ...(token === null ? {} : { authorization: `Bearer ${token}` }) };
    const response = await fetch(path, { method, headers, body });
    const answer = (await response.json()) as { error?: { status?: string; message?: string } };
    if (!response.ok) throw new Error(`${answer.error?.status ?? response.status}: ${answer.error?.message ?? response.statusText}`);
    return answer;
  }

  const counts = (rows: Record<string, number>) => Object.entries(rows).map(([table, n]) => `${n} ${table}`).join(", ") || "nothing";

  async function erase(): Promise<void> {
    const what = `Erase every profile, conversation, participant and message of project ${project}? This cannot be undone.`;
    if (!(await confirmAction("Erase this project's data", what, "Erase"))) return;
    try {
      const answer = (await call("DELETE", `/emulator/v1/projects/${encodeURIComponent(project)}`)) as { deleted: Record<string, number> };
      status.textContent = `Erased ${counts(answer.deleted)}.`;
      actions.changed();
    } catch (error) {
      actions.showError((error as Error).message);
    }
  }

  async function exportFile(): Promise<void> {
    try {
      const data = await call("GET", `/emulator/v1/project-data/${encodeURIComponent(project)}`);
      const link = h("a", { href: URL.createObjectURL(new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: "application/json" })), download: `${project}.json` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      status.textContent = `Exported project ${project} to ${project}.json.`;
    } catch (error) {
      actions.showError((error as Error).message);
    }
  }

  async function importFile(): Promise<void> {
    const chosen = file.files?.[0];
    if (chosen === undefined) return;
    try {
      const query = replace.checked ? "?replace=true" : "";
      const answer = (await call("POST", `/emulator/v1/project-data/${encodeURIComponent(project)}${query}`, await chosen.text())) as { imported: Record<string, number> };
      status.textContent = `Imported ${counts(answer.imported)}.`;
      actions.changed();
    } catch (error) {
      actions.showError((error as Error).message);
    } finally {
      file.value = "";
    }
  }

  return {
    element,
    setParent(parent) {
      const next = /^projects\/([^/]+)/.exec(parent)?.[1] ?? "";
      if (next !== project) status.textContent = "";
      project = next;
      fill(heading, `Project ${project} (emulator)`);
      element.hidden = project === "";
    },
  };
}
