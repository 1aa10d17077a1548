import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Where requests to URLs that arrive through the API may go: the URLs of HTTP data sources and of
 * team webhooks. An admin types them, and a phished admin account must not be a way to reach the
 * cloud metadata service or the services next to ours. Addresses that are not public unicast ones
 * (loopback, private, link-local, unique-local, carrier-grade NAT, reserved, IPv4-mapped forms of
 * those) are refused unless a network of `allowedNetworks` holds them (on-premises deployments;
 * the tests' fake servers on 127.0.0.1).
 *
 * Endpoints the operator configures in the environment (DATABASE_URL, SMTP_URL, the SaaS base
 * URLs, JWT_JWKS_URL) are trusted and not filtered.
 */
export interface OutboundPolicy {
  /** Networks (CIDR such as 10.0.0.0/8, or single addresses) that may be reached although not public. */
  allowedNetworks: readonly string[];
  /** The resolver of host names (default dns.lookup); tests give one that answers like a rebinding DNS server. */
  lookup?: LookupFunction;
}

export const PUBLIC_ONLY: OutboundPolicy = { allowedNetworks: [] };

/** Why an address is refused, for messages. */
export const OUTBOUND_REFUSAL =
  "loopback, private, link-local and reserved addresses are refused unless OUTBOUND_ALLOWED_NETWORKS lists their network";

/**
 * Why a URL's host cannot be reached under the policy, for the checks when a URL is saved: a
 * literal address outside it, or a name that always means this machine. Other names are checked
 * when connecting, as their addresses may change.
 */
export function refusedHost(url: URL, policy: OutboundPolicy): string | undefined {
  const host = bare(url.hostname).toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) {
    return policy.allowedNetworks.some((network) => allows(network, ipaddr.parse("127.0.0.1"))) ? undefined : host;
  }
  if (!ipaddr.isValid(host)) return undefined;
  const address = ipaddr.parse(host);
  if (policy.allowedNetworks.some((network) => allows(network, address))) return undefined;
  return address.range() === "unicast" ? undefined : host;
}

/** Whether a network of OUTBOUND_ALLOWED_NETWORKS is written correctly (CIDR or a single address). */
export function isNetwork(value: string): boolean {
  return ipaddr.isValidCIDR(value) || ipaddr.isValid(value);
}

function allows(network: string, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (!ipaddr.isValidCIDR(network)) return ipaddr.isValid(network) && ipaddr.parse(network).toString() === address.toString();
  const range = ipaddr.parseCIDR(network);
  return address.kind() === range[0].kind() && address.match(range);
}

/** A URL's IPv6 host without its brackets. */
export function bare(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, "$1");
}
