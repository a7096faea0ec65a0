import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/** Reads the PEM certificate and key, and checks they load and match; throws an Error naming the file at fault. */
export async function readTlsFiles(certFile: string, keyFile: string): Promise<TlsFiles> {
  const read = async (path: string, setting: string) => {
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      throw new Error(`${setting} ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  const files = { cert: await read(certFile, "TLS_CERT_FILE"), key: await read(keyFile, "TLS_KEY_FILE") };
  try {
    createSecureContext(files);
  } catch (error) {
    // OpenSSL says which part failed: "no start line" (not PEM), "key values mismatch"...
    throw new Error(`TLS_CERT_FILE ${certFile} with TLS_KEY_FILE ${keyFile}: ${(error as Error).message}`);
  }
  return files;
}
