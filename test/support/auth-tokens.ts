import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "../../src/auth/token-file.js";

/** The tokens every auth test uses: the token in clear (as a client sends it) by the name the file gives it. */
export const TOKENS = {
  alphaEditor: "alpha-editor-9f2c51",
  alphaReader: "alpha-reader-47d0aa",
  root: "root-every-project-5be1",
} as const;

export function tokensFileJson(tokens: Record<string, string> = TOKENS): string {
  const grants: Record<string, { projects: string[]; role: string }> = {
    alphaEditor: { projects: ["alpha"], role: "editor" },
    alphaReader: { projects: ["alpha"], role: "reader" },
    root: { projects: ["*"], role: "editor" },
  };
  return JSON.stringify({
    tokens: Object.entries(tokens).map(([name, token]) => ({ name, sha256: sha256Hex(token), ...(grants[name] ?? { projects: ["alpha"], role: "reader" }) })),
  });
}

/** A temporary directory holding tokens.json; removed by dispose(). */
export async function writeTokensFile(json = tokensFileJson()): Promise<{ dir: string; file: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "conversations-auth-"));
  const file = join(dir, "tokens.json");
  await writeFile(file, json);
  return { dir, file, dispose: () => rm(dir, { recursive: true, force: true }) };
}
