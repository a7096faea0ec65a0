import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The folders of src/, lowest first: a file may import its own folder and the
// folders of lower layers, never a higher one or a peer in its own layer. A
// new folder must be placed here before it can be imported at all.
const LAYERS: readonly (readonly string[])[] = [
  ["gen"],
  ["domain"],
  ["store"],
  // What answers a call, and the side paths that only read and write the store.
  ["services", "health", "reflection", "lifecycle", "cluster"],
  // HTTP requests and responses, their targets and request ids; the webhook client.
  ["http-primitives", "webhook"],
  ["observability", "limits"],
  ["auth", "events"],
  // Protocol-neutral: the service registry and the unary invoker.
  ["rpc"],
  // The transports.
  ["grpc", "connect", "rest"],
  // Routes beside the RPCs.
  ["emulator"],
  // The edge: one port, CORS, credentials, early answers, the route chain.
  ["http"],
  // server.ts (the composition root), main.ts, cli.ts, config.ts.
  ["."],
];

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src");
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)"(\.{1,2}\/[^"]+)"/g;

function layerOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

function folderOf(file: string): string {
  const path = relative(SRC, file);
  return path.includes("/") ? (path.split("/")[0] ?? ".") : ".";
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every import of one src folder into another, as "from-file -> imported-file". */
function crossFolderImports(): { from: string; to: string; fromFolder: string; toFolder: string }[] {
  return sourceFiles(SRC)
    .filter((file) => folderOf(file) !== "gen")
    .flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(IMPORT)].map((match) => {
        const to = resolve(dirname(file), match[1] ?? "");
        return { from: relative(SRC, file), to: relative(SRC, to), fromFolder: folderOf(file), toFolder: folderOf(to) };
      }),
    )
    .filter((each) => each.fromFolder !== each.toFolder);
}

describe("the layers of src/", () => {
  it("places every folder in a layer", () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect(folders.filter((folder) => layerOf(folder) === -1)).toEqual([]);
  });

  it("imports only downward", () => {
    const imports = crossFolderImports();
    expect(imports.length).toBeGreaterThan(50);
    const upward = imports
      .filter((each) => layerOf(each.toFolder) >= layerOf(each.fromFolder))
      .map((each) => `${each.from} -> ${each.to}`);
    expect(upward).toEqual([]);
  });
});
