import type { Socket } from "node:net";
import ipaddr from "ipaddr.js";
import type * as RequestFiltering from "request-filtering-agent";
import type { buildConnector, Dispatcher } from "undici";
import { bare, OUTBOUND_REFUSAL, type OutboundPolicy } from "./outbound-policy.js";

const CONNECT_TIMEOUT_MS = 10_000;

/** Refused because of where it would connect; the message names the host and the setting that allows it. */
export class OutboundAddressRefused extends Error {
  constructor(host: string) {
    super(`refused to connect to ${host}: ${OUTBOUND_REFUSAL}`);
    this.name = "OutboundAddressRefused";
  }
}

/**
 * fetch whose connections go only where the policy allows. request-filtering-agent checks the
 * address of each connection as it is made: a literal one, or every address DNS gives at that
 * moment, so a name that was public when saved and resolves to a private address later (DNS
 * rebinding) is still refused, and so is every redirect's target. It is an http.Agent and fetch
 * takes an undici dispatcher, so the dispatcher's connector asks the agent for its sockets.
 */
export function outboundFetch(policy: OutboundPolicy): typeof fetch {
  let dispatcher: Promise<Dispatcher> | undefined;
  return async (input, init) => {
    dispatcher ??= filteringDispatcher(policy);
    // Node's fetch takes a dispatcher that its bundled undici's types do not declare.
    return fetch(input, { ...init, dispatcher: await dispatcher } as unknown as RequestInit);
  };
}

/** Made with the first request, not at start: undici and request-filtering-agent are over a megabyte of modules. */
async function filteringDispatcher(policy: OutboundPolicy): Promise<Dispatcher> {
  const [{ Agent }, filtering] = await Promise.all([import("undici"), import("request-filtering-agent")]);
  return new Agent({ connect: filteringConnector(policy, filtering) });
}

function filteringConnector(policy: OutboundPolicy, filtering: typeof RequestFiltering): buildConnector.connector {
  const filter = { allowIPAddressList: [...policy.allowedNetworks] };
  const agents = {
    http: new filtering.RequestFilteringHttpAgent(filter),
    https: new filtering.RequestFilteringHttpsAgent(filter),
  };
  return (options, callback) => {
    const tls = options.protocol === "https:";
    const host = bare(options.hostname);
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (error: Error | null, socket: Socket) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!error) return callback(null, socket);
      socket.destroy();
      callback(/is not allowed/.test(error.message) ? new OutboundAddressRefused(host) : error, null);
    };
    const socket = (tls ? agents.https : agents.http).createConnection(
      {
        host,
        port: Number(options.port) || (tls ? 443 : 80),
        ...(policy.lookup && { lookup: policy.lookup }),
        ...(tls && { servername: options.servername ?? (ipaddr.isValid(host) ? undefined : host), ALPNProtocols: ["http/1.1"] }),
      },
      // Called at once, with the error and a dead socket, for a refused literal address; for plain
      // TCP also once connected, without arguments.
      (error?: Error | null, refused?: unknown) => settle(error ?? null, (refused as Socket | undefined) ?? socket),
    ) as Socket;
    if (settled) return;
    timer = setTimeout(() => settle(new Error(`connecting to ${host} timed out`), socket), CONNECT_TIMEOUT_MS).unref();
    socket.once(tls ? "secureConnect" : "connect", () => settle(null, socket));
    socket.once("error", (error) => settle(error, socket));
  };
}
