import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { apiKeys, users, type UserRole, type UserRow } from "../db/schema/index.js";
import { unauthenticated } from "../lib/errors.js";
import { apiKeyMatches, apiKeyPrefix, isApiKey } from "./api-key-token.js";
import type { JwtService } from "./jwt.js";

/** The authenticated caller of a request. */
export interface Viewer {
  id: number;
  role: UserRole;
  name: string;
  email: string;
  via: "jwt" | "api_key";
}

// users.id is a PostgreSQL integer: a larger subject can match nobody, and must not reach the query (22003).
const MAX_USER_ID = 2_147_483_647;

const viewerColumns = { id: users.id, role: users.role, name: users.name, email: users.email, isActive: users.isActive };

/** Creating accounts for people the identity provider vouches for (AUTH_PROVISION_USERS). */
export interface Provisioning {
  provision(identity: { email: string; name: string; issuer: string }): Promise<UserRow>;
  /** The claim holding the person's name (AUTH_NAME_CLAIM). */
  nameClaim: string;
}

// An e-mail as users.email can hold it: no spaces or control characters, one @, at most 320 characters.
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const EMAIL_PATTERN = /^[^\s@\u0000-\u001f]+@[^\s@\u0000-\u001f]+$/;

export class Authenticator {
  constructor(
    private readonly db: Db,
    private readonly jwt: JwtService,
    private readonly subject: "id" | "email",
    private readonly provisioning?: Provisioning,
  ) {}

  /** Null for an anonymous request; throws UNAUTHENTICATED for any credential that does not hold. */
  async fromAuthorizationHeader(header: string | undefined): Promise<Viewer | null> {
    if (header === undefined || header === "") return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated("The Authorization header must be 'Bearer <token>'");
    const token = match[1]!;
    return isApiKey(token) ? this.fromApiKey(token) : this.fromJwt(token);
  }

  private async fromJwt(token: string): Promise<Viewer> {
    const verified = await this.jwt.verify(token);
    const { subject } = verified;
    const condition =
      this.subject === "email"
        ? // PostgreSQL cannot compare text holding NUL (22021): such a subject matches nobody.
          subject.includes("\u0000")
          ? undefined
          : eq(users.email, subject.toLowerCase())
        : /^\d{1,10}$/.test(subject) && Number(subject) <= MAX_USER_ID
          ? eq(users.id, Number(subject))
          : undefined;
    if (!condition) throw unauthenticated("Invalid token");
    const [user] = await this.db.select(viewerColumns).from(users).where(condition);
    if (!user && this.provisioning && verified.fromProvider && this.subject === "email") {
      return activeViewer(await this.provisioned(subject, verified.claims, this.provisioning), "jwt");
    }
    return activeViewer(user, "jwt");
  }

  private async provisioned(email: string, claims: Record<string, unknown>, provisioning: Provisioning): Promise<UserRow> {
    // A provider that says the address is unverified is not vouching for who owns it.
    if (claims.email_verified === false || email.length > 320 || !EMAIL_PATTERN.test(email)) {
      throw unauthenticated("Invalid token or inactive account");
    }
    const text = (claim: string) =>
      // eslint-disable-next-line no-control-regex -- a claim's control characters are dropped before it names a user
      typeof claims[claim] === "string" ? (claims[claim] as string).replace(/[\u0000-\u001f]/g, "") : "";
    const name = text(provisioning.nameClaim) || [text("given_name"), text("family_name")].filter(Boolean).join(" ");
    return provisioning.provision({ email, name, issuer: text("iss") || "identity provider" });
  }

  private async fromApiKey(token: string): Promise<Viewer> {
    const prefix = apiKeyPrefix(token);
    if (!prefix) throw unauthenticated("Invalid API key");
    const [row] = await this.db
      .select({ keyId: apiKeys.id, keyHash: apiKeys.keyHash, ...viewerColumns })
      .from(apiKeys)
      .innerJoin(users, eq(users.id, apiKeys.userId))
      .where(and(eq(apiKeys.prefix, prefix), isNull(apiKeys.revokedAt)));
    if (!row || !apiKeyMatches(token, row.keyHash)) throw unauthenticated("Invalid or revoked API key");
    const viewer = activeViewer(row, "api_key");
    this.touchApiKey(row.keyId);
    return viewer;
  }

  // At most one write a minute per key: a BI tool polling every second must not write every second.
  private touchApiKey(id: number): void {
    void this.db.$client
      .query(
        "UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        [id],
      )
      .catch(() => undefined);
  }
}

function activeViewer(
  user: { id: number; role: UserRole; name: string; email: string; isActive: boolean } | undefined,
  via: Viewer["via"],
): Viewer {
  // One message for unknown and deactivated accounts: a token must not reveal which it is.
  if (!user || !user.isActive) throw unauthenticated("Invalid token or inactive account");
  return { id: user.id, role: user.role, name: user.name, email: user.email, via };
}
