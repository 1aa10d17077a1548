import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "../config/config.js";

/** Starts listening on HOST:PORT; resolves with the server's base URL (PUBLIC_URL when set). */
export async function listen(httpServer: Server, config: Pick<Config, "host" | "port" | "publicUrl">): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const host =
    config.host === "0.0.0.0" || config.host === "::"
      ? "localhost"
      : config.host.includes(":")
        ? `[${config.host}]`
        : config.host;
  return config.publicUrl ?? `http://${host}:${port}`;
}

/** Closes the HTTP server if it still listens (Apollo's drain normally has). */
export async function closeHttpServer(httpServer: Server): Promise<void> {
  if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
}
