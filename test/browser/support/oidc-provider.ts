import { OAuth2Server } from "oauth2-mock-server";
import { e2e } from "./servers";

/**
 * A local OpenID Connect provider for the browser tests (oauth2-mock-server): it signs every
 * authorization request in as e2e.oidcUser, whose e-mail is the token's subject (JWT_SUBJECT=email).
 * OIDC_TOKEN_TTL (seconds) shortens its tokens, to test expiry.
 */
const server = new OAuth2Server();
await server.issuer.keys.generate("RS256");
server.service.on("beforeTokenSigning", (token) => {
  token.payload.sub = e2e.oidcUser.email;
  token.payload.email = e2e.oidcUser.email;
});
const port = Number(process.env.OIDC_PORT ?? e2e.oidcPort);
await server.start(port, "127.0.0.1");
// It names itself http://localhost:<port>; the servers trust (and the page may call) 127.0.0.1 only.
server.issuer.url = `http://127.0.0.1:${port}`;
process.stdout.write(`OIDC provider at ${server.issuer.url}\n`);
const stop = () => void server.stop().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
