import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Debian's Firefox ESR driven over WebDriver BiDi, which it speaks natively:
// Playwright's Firefox needs its own patched build, and its BiDi mode asks
// ESR for commands ESR does not have.

export const FIREFOX = "/usr/bin/firefox-esr";

/** WebDriver's codes for keys that are not text. */
export const KEYS = { enter: "\uE007", tab: "\uE004" } as const;

export interface FirefoxPage {
  navigate(url: string): Promise<void>;
  /** Evaluates an expression (awaiting promises) and returns its JSON-able value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Types into the focused element as a keyboard would: text, or WebDriver key codes such as KEYS.enter. */
  type(keys: string): Promise<void>;
  close(): Promise<void>;
}

interface BidiReply {
  readonly id?: number;
  readonly type?: string;
  readonly result?: Record<string, unknown>;
  readonly error?: string;
  readonly message?: string;
}

export async function openFirefox(viewport: { width: number; height: number }): Promise<FirefoxPage> {
  const profile = await mkdtemp(join(tmpdir(), "firefox-"));
  const firefox: ChildProcess = spawn(FIREFOX, ["--headless", "--no-remote", "--remote-debugging-port=0", "--profile", profile], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("Firefox did not open WebDriver BiDi within 30 s")), 30_000);
    const look = (chunk: Buffer) => {
      const match = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(chunk.toString());
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    firefox.stdout?.on("data", look);
    firefox.stderr?.on("data", look);
  });
  const socket = new WebSocket(`${endpoint}/session`);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let lastId = 0;
  const waiting = new Map<number, (reply: BidiReply) => void>();
  socket.addEventListener("message", (event) => {
    const reply = JSON.parse(String(event.data)) as BidiReply;
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply);
  });
  const send = async (method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const id = ++lastId;
    const reply = await new Promise<BidiReply>((resolve) => {
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
    waiting.delete(id);
    if (reply.type === "error") throw new Error(`${method}: ${reply.error}: ${reply.message}`);
    return reply.result ?? {};
  };

  await send("session.new", { capabilities: {} });
  const tree = (await send("browsingContext.getTree", {})) as { contexts: { context: string }[] };
  const context = tree.contexts[0]?.context;
  await send("browsingContext.setViewport", { context, viewport });
  return {
    async navigate(url) {
      await send("browsingContext.navigate", { context, url, wait: "complete" });
    },
    async evaluate<T>(expression: string) {
      const result = (await send("script.evaluate", {
        expression: `(async () => JSON.stringify(await (${expression})))()`,
        target: { context },
        awaitPromise: true,
      })) as { type: string; result?: { value?: string }; exceptionDetails?: { text?: string } };
      if (result.type !== "success") throw new Error(`evaluate failed: ${result.exceptionDetails?.text ?? "unknown"}`);
      const text = result.result?.value;
      return (text === undefined ? undefined : JSON.parse(text)) as T;
    },
    async type(keys) {
      const actions = [...keys].flatMap((value) => [{ type: "keyDown", value }, { type: "keyUp", value }]);
      await send("input.performActions", { context, actions: [{ type: "key", id: "keyboard", actions }] });
    },
    async close() {
      socket.close();
      firefox.kill();
      await new Promise((resolve) => (firefox.exitCode !== null ? resolve(undefined) : firefox.once("exit", resolve)));
      await rm(profile, { recursive: true, force: true });
    },
  };
}
