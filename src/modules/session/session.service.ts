import { decodeJwt } from "jose";
import type { JwtService } from "../../auth/jwt.js";
import type { Config } from "../../config/config.js";
import type { Db } from "../../db/client.js";
import { AppError, notFound } from "../../lib/errors.js";
import type { UserRole } from "../../db/schema/index.js";
import { activeUser, activeUsersByRole, managedTeamNames, memberTeamNames } from "./session.store.js";

/** What the sign-in page offers (GraphQL SignInOptions). */
export interface SignInOptions {
  demo: boolean;
  oidc: { issuer: string; clientId: string; scope: string } | null;
}

/** A person one can sign in as while demo sign-in is on (GraphQL DemoAccount). */
export interface DemoAccount {
  id: number;
  name: string;
  email: string;
  role: UserRole;
  teamNames: string[];
}

export interface DemoSession {
  token: string;
  expiresAt: Date;
}

export interface SessionSettings {
  /** Signs demo sessions; absent where this server cannot sign (JWKS only). */
  jwt?: JwtService;
  /** Whether one-click demo sign-in is on (main.ts: DEMO_SIGN_IN, else whether the demo data is in use). */
  demo: boolean;
  oidc?: NonNullable<Config["signIn"]["oidc"]>;
}

/** What the sign-in page offers, and demo sessions while demo sign-in is on. */
export class SessionService {
  constructor(
    private readonly db: Db,
    private readonly settings: SessionSettings,
  ) {}

  get demoEnabled(): boolean {
    return this.settings.demo && this.settings.jwt?.canSign === true;
  }

  options(): SignInOptions {
    return { demo: this.demoEnabled, oidc: this.settings.oidc ?? null };
  }

  /** Active users, admins first, then managers, then members, each by name, with their teams. */
  async demoAccounts(): Promise<DemoAccount[]> {
    const people = await activeUsersByRole(this.db, 200);
    const ids = people.map((person) => person.id);
    const [memberships, managed] = ids.length
      ? await Promise.all([memberTeamNames(this.db, ids), managedTeamNames(this.db, ids)])
      : [[], []];
    const teamNames = new Map<number, Set<string>>();
    for (const { userId, name } of [...managed, ...memberships]) {
      if (userId === null) continue;
      const names = teamNames.get(userId) ?? new Set<string>();
      names.add(name);
      teamNames.set(userId, names);
    }
    return people.map((person) => ({
      ...person,
      role: person.role,
      teamNames: [...(teamNames.get(person.id) ?? [])].sort(),
    }));
  }

  async demoSignIn(userId: number): Promise<DemoSession> {
    const jwt = this.settings.jwt;
    if (!this.demoEnabled || !jwt) throw new AppError("FORBIDDEN", "Demo sign-in is off on this server");
    const user = await activeUser(this.db, userId);
    if (!user) throw notFound("User", userId);
    const token = await jwt.sign(user);
    return { token, expiresAt: new Date(decodeJwt(token).exp! * 1000) };
  }
}
