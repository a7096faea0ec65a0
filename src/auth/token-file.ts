import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseParent } from "../domain/names.js";
import { AuthConfigError } from "./auth-config-error.js";
import { ROLES, toProjectScope, type Principal, type Role } from "./principal.js";

// The tokens file: {"tokens":[{"name":"ci","sha256":"<hex>","projects":["alpha"],"role":"editor"}]}.
// It holds only the sha256 of each token, so a leaked file grants nothing.

/** Principals by the sha256 (lower-case hex) of their token. */
export type TokenTable = ReadonlyMap<string, Principal>;

const ENTRY_FIELDS = new Set(["name", "sha256", "projects", "role"]);

export function sha256Hex(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Reads and checks a tokens file; throws an AuthConfigError naming the file and the JSON path at fault. */
export async function readTokenFile(path: string): Promise<TokenTable> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new AuthConfigError(`tokens file ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AuthConfigError(`tokens file ${path}: not JSON (${(error as Error).message})`);
  }
  try {
    return parseTokenFile(json);
  } catch (error) {
    throw new AuthConfigError(`tokens file ${path}: ${(error as Error).message}`);
  }
}

/** Checks the parsed JSON of a tokens file; throws an Error whose message starts with the JSON path at fault. */
export function parseTokenFile(json: unknown): TokenTable {
  if (!isObject(json)) throw new Error('must be a JSON object {"tokens":[...]}');
  for (const key of Object.keys(json)) {
    if (key !== "tokens") throw new Error(`${key}: unknown field; the file has only "tokens"`);
  }
  const entries = json.tokens;
  if (!Array.isArray(entries)) throw new Error("tokens: must be an array");
  const table = new Map<string, Principal>();
  const names = new Set<string>();
  entries.forEach((entry: unknown, index) => {
    const path = `tokens[${index}]`;
    const { hash, principal } = parseEntry(entry, path);
    if (names.has(principal.name)) throw new Error(`${path}.name: "${principal.name}" is used twice`);
    if (table.has(hash)) throw new Error(`${path}.sha256: the same token is listed twice`);
    names.add(principal.name);
    table.set(hash, principal);
  });
  return table;
}

function parseEntry(entry: unknown, path: string): { hash: string; principal: Principal } {
  if (!isObject(entry)) throw new Error(`${path}: must be an object with name, sha256, projects and role`);
  for (const key of Object.keys(entry)) {
    if (!ENTRY_FIELDS.has(key)) throw new Error(`${path}.${key}: unknown field; expected name, sha256, projects, role`);
  }
  const { name, sha256, projects, role } = entry;
  if (typeof name !== "string" || name.trim() === "") throw new Error(`${path}.name: must be a non-empty string`);
  if (typeof sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(sha256)) {
    throw new Error(`${path}.sha256: must be the 64 hex digits of the token's sha256, never the token itself`);
  }
  if (!Array.isArray(projects) || projects.length === 0) {
    throw new Error(`${path}.projects: must be a non-empty array of project IDs, or ["*"]`);
  }
  projects.forEach((project: unknown, at) => checkProject(project, `${path}.projects[${at}]`));
  if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
    throw new Error(`${path}.role: must be one of ${ROLES.join(", ")}`);
  }
  return {
    hash: sha256.toLowerCase(),
    principal: { name, projects: toProjectScope(projects as string[]), role: role as Role },
  };
}

/** A project ID as resource names spell it, or "*"; the message names `path`. */
export function checkProject(project: unknown, path: string): string {
  if (project === "*") return project;
  if (typeof project !== "string") throw new Error(`${path}: must be a project ID or "*"`);
  const invalid = new Error(`${path}: "${project}" is not a project ID (1-63 characters of [a-z0-9-.:]) or "*"`);
  if (project.includes("/")) throw invalid;
  try {
    parseParent(`projects/${project}`, path);
  } catch {
    throw invalid;
  }
  return project;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
