import { createServer, type AddressInfo } from "node:net";

/** A loopback port nothing listens on now, for a server the bench starts next. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
