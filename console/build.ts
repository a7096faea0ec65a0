import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

// Bundles the web console into dist/console/ (index.html, console.js,
// console.css), which the service serves at /console/. Run by `npm run
// build:console`, so `npm ci` (prepare) leaves a ready console.

const SOURCE_DIR = fileURLToPath(new URL(".", import.meta.url));
export const CONSOLE_OUT_DIR = fileURLToPath(new URL("../dist/console/", import.meta.url));

export interface ConsoleBundleSize {
  /** console.js + console.css as served. */
  readonly bytes: number;
  /** The same, gzipped at the default level: what the 150 kB budget is about. */
  readonly gzipBytes: number;
}

export async function buildConsole(outDir: string = CONSOLE_OUT_DIR): Promise<ConsoleBundleSize> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [
      { in: `${SOURCE_DIR}src/main.ts`, out: "console" },
      { in: `${SOURCE_DIR}console.css`, out: "console" },
    ],
    outdir: outDir,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    // Browsers of the last two years: Chromium and Firefox alike.
    target: ["chrome115", "firefox115", "safari16"],
    legalComments: "none",
    logLevel: "warning",
  });
  await copyFile(`${SOURCE_DIR}index.html`, `${outDir}/index.html`);
  await copyFile(`${SOURCE_DIR}emulator.js`, `${outDir}/emulator.js`);
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of ["console.js", "console.css"]) {
    const content = await readFile(`${outDir}/${file}`);
    bytes += content.length;
    gzipBytes += gzipSync(content).length;
  }
  return { bytes, gzipBytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = await buildConsole();
  const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`;
  process.stdout.write(`console built in ${CONSOLE_OUT_DIR}: ${kB(size.bytes)}, ${kB(size.gzipBytes)} gzipped\n`);
}
