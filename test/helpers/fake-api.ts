import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  /** Parsed when the request sent JSON; the raw text otherwise (a form, for instance). */
  body: any;
}
export type Handler = (request: Received, response: ServerResponse) => void;

/** A fake HTTP API on 127.0.0.1: records every request and answers with the current handler. */
export class FakeApi {
  readonly requests: Received[] = [];
  handler: Handler = (_, response) => response.end("{}");
  private server!: Server;
  url = "";

  async start() {
    this.server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk) => (raw += chunk));
      req.on("end", () => {
        const received = {
          method: req.method!,
          url: new URL(req.url!, "http://fake"),
          headers: req.headers,
          body: raw && req.headers["content-type"]?.includes("json") ? JSON.parse(raw) : raw || undefined,
        };
        this.requests.push(received);
        this.handler(received, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(handler: Handler) {
    this.requests.length = 0;
    this.handler = handler;
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export const json = (response: ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}) => {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
};
