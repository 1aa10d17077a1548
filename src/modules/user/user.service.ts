import type { Db } from "../../db/client.js";
import type { UserRole, UserRow } from "../../db/schema/index.js";
import { badInput, conflict, conflictOnUnique, notFound, requireText } from "../../lib/errors.js";
import { appendAudit } from "../audit/audit.store.js";
import {
  externalIdOf,
  findUser,
  insertUser,
  insertUserUnlessEmailTaken,
  listUsers,
  otherHolderOfExternalId,
  updateUser,
  upsertExternalId,
  userWithEmail,
  type UserQuery,
} from "./user.store.js";

const PROVIDER_PATTERN = /^[a-z][a-z0-9_-]{0,49}$/;

export interface NewUser {
  name: string;
  email: string;
  role: UserRole;
}

export interface UserChanges {
  name?: string;
  role?: UserRole;
  isActive?: boolean;
}

const auditedFields = (user: UserRow) => ({ name: user.name, email: user.email, role: user.role, isActive: user.isActive });

export class UserService {
  constructor(private readonly db: Db) {}

  get(id: number): Promise<UserRow | undefined> {
    return findUser(this.db, id);
  }

  async require(id: number): Promise<UserRow> {
    const user = await findUser(this.db, id);
    if (!user) throw notFound("User", id);
    return user;
  }

  list(query: UserQuery): Promise<UserRow[]> {
    return listUsers(this.db, query);
  }

  async create(actorId: number | null, input: NewUser): Promise<UserRow> {
    const name = requireText(input.name, "name");
    const email = input.email.trim().toLowerCase();
    return conflictOnUnique(
      "users_email_unique",
      () => conflict(`A user with e-mail ${email} already exists`, { field: "email" }),
      () =>
        this.db.transaction(async (tx) => {
          const user = await insertUser(tx, { name, email, role: input.role });
          await appendAudit(tx, {
            actorId,
            action: "user.create",
            entityType: "user",
            entityId: user.id,
            after: auditedFields(user),
          });
          return user;
        }),
    );
  }

  /**
   * The account of someone the identity provider vouches for and nobody created yet: a USER, whose
   * role and teams admins set later. Audited with no actor, as done by the provider. An existing
   * account with that e-mail, deactivated ones included, is returned as it is: a token never
   * re-creates nor re-activates anyone.
   */
  async provision(identity: { email: string; name: string; issuer: string }): Promise<UserRow> {
    const email = identity.email.trim().toLowerCase();
    const name = identity.name.trim().slice(0, 200) || email.split("@")[0]!;
    return this.db.transaction(async (tx) => {
      const created = await insertUserUnlessEmailTaken(tx, { name, email, role: "user" });
      // Another request of the same person's first minute got there first.
      if (!created) return (await userWithEmail(tx, email))!;
      await appendAudit(tx, {
        actorId: null,
        action: "user.provision",
        entityType: "user",
        entityId: created.id,
        after: { ...auditedFields(created), provisionedBy: identity.issuer },
      });
      return created;
    });
  }

  async update(actorId: number, id: number, changes: UserChanges): Promise<UserRow> {
    const name = changes.name === undefined ? undefined : requireText(changes.name, "name");
    // An admin locking themselves out would leave nobody to undo it.
    if (id === actorId && (changes.isActive === false || (changes.role !== undefined && changes.role !== "admin"))) {
      throw badInput("input", "you cannot deactivate yourself or remove your own admin role");
    }
    return this.db.transaction(async (tx) => {
      const before = await findUser(tx, id);
      if (!before) throw notFound("User", id);
      const after = await updateUser(tx, id, { ...changes, name, updatedAt: new Date() });
      await appendAudit(tx, {
        actorId,
        action: "user.update",
        entityType: "user",
        entityId: id,
        before: auditedFields(before),
        after: auditedFields(after),
      });
      return after;
    });
  }

  async setExternalId(actorId: number, userId: number, provider: string, externalId: string): Promise<UserRow> {
    const normalizedProvider = provider.trim().toLowerCase();
    const normalizedId = externalId.trim();
    if (!PROVIDER_PATTERN.test(normalizedProvider))
      throw badInput("provider", "must be a lower-case name such as intercom, aircall or google");
    if (!normalizedId || normalizedId.length > 255) throw badInput("externalId", "must be 1 to 255 characters");
    const takenError = () =>
      conflict(`${normalizedProvider} id ${normalizedId} already belongs to another user`, { field: "externalId" });
    return conflictOnUnique("user_external_ids_provider_external_unique", takenError, () =>
      this.db.transaction(async (tx) => {
        const user = await findUser(tx, userId);
        if (!user) throw notFound("User", userId);
        const key = { userId, provider: normalizedProvider, externalId: normalizedId };
        const taken = await otherHolderOfExternalId(tx, key);
        if (taken !== undefined)
          throw conflict(`${normalizedProvider} id ${normalizedId} already belongs to user ${taken}`, {
            field: "externalId",
          });
        const previous = await externalIdOf(tx, userId, normalizedProvider);
        await upsertExternalId(tx, key);
        await appendAudit(tx, {
          actorId,
          action: "user.set_external_id",
          entityType: "user",
          entityId: userId,
          before: previous !== undefined ? { provider: normalizedProvider, externalId: previous } : null,
          after: { provider: normalizedProvider, externalId: normalizedId },
        });
        return user;
      }),
    );
  }
}
