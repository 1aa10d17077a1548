import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from "jose";
import type { Config } from "../config/config.js";
import { AppError, unauthenticated } from "../lib/errors.js";

/** How far ahead of this server's clock a token's "iat" may be (clocks of issuers drift a little). */
export const CLOCK_TOLERANCE_SECONDS = 60;

const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

export interface TokenSubject {
  /** The user id or e-mail, as JWT_SUBJECT says. */
  subject: string;
  /** Whether an identity provider signed it (JWKS), rather than this server (JWT_SECRET). */
  fromProvider: boolean;
  /** The token's claims, for provisioning (name, issuer, email_verified). */
  claims: Record<string, unknown>;
}

/** Signs our own HS256 tokens and verifies ours or an identity provider's (JWKS). */
export class JwtService {
  private readonly secret?: Uint8Array;
  private readonly jwks?: JWTVerifyGetKey;

  constructor(
    private readonly auth: Config["auth"],
    secret: string | undefined,
  ) {
    this.secret = secret ? new TextEncoder().encode(secret) : undefined;
    this.jwks = auth.jwksUrl ? createRemoteJWKSet(new URL(auth.jwksUrl)) : undefined;
  }

  get canSign(): boolean {
    return this.secret !== undefined;
  }

  async sign(user: { id: number; email: string }, ttl = this.auth.tokenTtl): Promise<string> {
    if (!this.secret) throw new AppError("BAD_USER_INPUT", "No JWT_SECRET is configured, so this server cannot sign tokens");
    let token = new SignJWT({})
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(this.auth.subject === "email" ? user.email : String(user.id))
      .setIssuedAt()
      .setExpirationTime(ttl);
    if (this.auth.issuer) token = token.setIssuer(this.auth.issuer);
    if (this.auth.audience) token = token.setAudience(this.auth.audience);
    return token.sign(this.secret);
  }

  async verify(token: string): Promise<TokenSubject> {
    const options = { issuer: this.auth.issuer, audience: this.auth.audience, requiredClaims: ["sub", "exp"] };
    try {
      const ours = this.secret !== undefined && (!this.jwks || headerAlg(token) === "HS256");
      const { payload } = ours
        ? await jwtVerify(token, this.secret!, { ...options, algorithms: ["HS256"] })
        : this.jwks
          ? await jwtVerify(token, this.jwks, { ...options, algorithms: ASYMMETRIC_ALGORITHMS })
          : await Promise.reject(unauthenticated("Token authentication is not configured"));
      // jose checks exp and nbf but not iat: a token "issued" tomorrow would be good until long after its real lifetime.
      if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) {
        throw unauthenticated("Token was issued in the future");
      }
      return { subject: payload.sub!, fromProvider: !ours, claims: payload };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw unauthenticated("Token has expired");
      throw unauthenticated("Invalid token");
    }
  }
}

function headerAlg(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as { alg?: unknown };
    return typeof header.alg === "string" ? header.alg : undefined;
  } catch {
    return undefined;
  }
}
