import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";

// The console's files held in memory, gzipped once and tagged by content, so
// a page load costs ~80 kB and a reload a 304. A rebuild (new mtime or size)
// is picked up on the next request without a restart.

export interface ConsoleFile {
  readonly body: Buffer;
  readonly gzipped: Buffer;
  /** A strong ETag from the content. */
  readonly etag: string;
}

interface Cached {
  readonly mtimeMs: number;
  readonly size: number;
  readonly file: ConsoleFile;
}

const gzipAsync = promisify(gzip);

export function createConsoleFiles(dir: string): { read(name: string): Promise<ConsoleFile> } {
  const cache = new Map<string, Cached>();
  return {
    async read(name) {
      const path = join(dir, name);
      const { mtimeMs, size } = await stat(path);
      const cached = cache.get(name);
      if (cached !== undefined && cached.mtimeMs === mtimeMs && cached.size === size) return cached.file;
      const body = await readFile(path);
      const file = { body, gzipped: await gzipAsync(body), etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
      cache.set(name, { mtimeMs, size, file });
      return file;
    },
  };
}
