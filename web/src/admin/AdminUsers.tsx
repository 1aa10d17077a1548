import { useDeferredValue, useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { useViewer } from "../app/viewer";
import { graphql } from "../gql";
import type { AdminUsersQuery as AdminUsersResult, Role } from "../gql/graphql";
import { DataTable, type ColumnDef } from "../ui/DataTable";
import { Dialog } from "../ui/Dialog";
import { Field } from "../ui/Field";
import { ErrorNotice, QueryState } from "../ui/QueryState";
import { hasUnplacedError, SectionHeader, StateBadge } from "./common";
import { fieldErrors } from "../ui/errors";

const AdminUsersQuery = graphql(`
  query AdminUsers($search: String) {
    users(filter: { search: $search }, limit: 500) {
      id
      name
      email
      role
      isActive
      externalIds {
        provider
        externalId
      }
      teams {
        id
        name
      }
    }
  }
`);

const AdminCreateUserMutation = graphql(`
  mutation AdminCreateUser($input: CreateUserInput!) {
    createUser(input: $input) {
      id
      name
    }
  }
`);

const AdminUpdateUserMutation = graphql(`
  mutation AdminUpdateUser($id: ID!, $input: UpdateUserInput!) {
    updateUser(id: $id, input: $input) {
      id
      role
      isActive
    }
  }
`);

const AdminSetExternalIdMutation = graphql(`
  mutation AdminSetExternalId($userId: ID!, $provider: String!, $externalId: String!) {
    setUserExternalId(userId: $userId, provider: $provider, externalId: $externalId) {
      id
      externalIds {
        provider
        externalId
      }
    }
  }
`);

const ROLES: Role[] = ["USER", "MANAGER", "ADMIN"];
const ROLE_LABEL: Record<Role, string> = { USER: "Member", MANAGER: "Manager", ADMIN: "Admin" };
const PROVIDERS = ["intercom", "aircall", "google_workspace"];

type UserRow = AdminUsersResult["users"][number];

/** People: search, create, role, (de)activate, external ids. */
export function AdminUsers() {
  const viewer = useViewer();
  const [search, setSearch] = useState("");
  const deferred = useDeferredValue(search.trim());
  const [result, refetch] = useQuery({ query: AdminUsersQuery, variables: { search: deferred || undefined } });
  const [updated, update] = useMutation(AdminUpdateUserMutation);

  const columns = useMemo<Array<ColumnDef<UserRow, any>>>(
    () => [
      { id: "name", header: "Name", accessorKey: "name" },
      { id: "email", header: "E-mail", accessorKey: "email" },
      {
        id: "role",
        header: "Role",
        accessorFn: (user) => ROLE_LABEL[user.role],
        cell: (info) => {
          const user = info.row.original;
          return (
            <select
              className="admin-cell-select"
              aria-label={`Role of ${user.name}`}
              value={user.role}
              disabled={user.id === viewer.id}
              onChange={(e) => void update({ id: user.id, input: { role: e.target.value as Role } })}
            >
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {ROLE_LABEL[role]}
                </option>
              ))}
            </select>
          );
        },
      },
      { id: "teams", header: "Teams", accessorFn: (user) => user.teams.map((t) => t.name).join(", ") || "—" },
      {
        id: "external",
        header: "External ids",
        accessorFn: (user) => user.externalIds.map((e) => `${e.provider}: ${e.externalId}`).join(", ") || "—",
      },
      {
        id: "state",
        header: "State",
        accessorFn: (user) => (user.isActive ? "Active" : "Deactivated"),
        cell: (info) => <StateBadge active={info.row.original.isActive} off="Deactivated" />,
      },
      {
        id: "actions",
        header: "Actions",
        enableSorting: false,
        cell: (info) => {
          const user = info.row.original;
          return (
            <div className="row nowrap">
              <ExternalIds user={user} />
              {user.id !== viewer.id && (
                <button
                  type="button"
                  className="button"
                  aria-label={`${user.isActive ? "Deactivate" : "Reactivate"} ${user.name}`}
                  onClick={() => void update({ id: user.id, input: { isActive: !user.isActive } })}
                >
                  {user.isActive ? "Deactivate" : "Reactivate"}
                </button>
              )}
            </div>
          );
        },
      },
    ],
    [update, viewer.id],
  );

  return (
    <section className="stack" aria-labelledby="users-title">
      <SectionHeader title="People" id="users-title">
        <CreateUser onCreated={() => refetch({ requestPolicy: "network-only" })} />
      </SectionHeader>
      <div className="table-filter">
        <Field label="Search people" hint="Part of the name or e-mail.">
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </Field>
      </div>
      {updated.error && <ErrorNotice error={updated.error} />}
      <QueryState result={result} isEmpty={(data) => data.users.length === 0} empty="Nobody matches this search.">
        {(data) => (
          <DataTable caption="People" columns={columns} data={data.users} initialSorting={[{ id: "name", desc: false }]} />
        )}
      </QueryState>
    </section>
  );
}

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("USER");
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [result, create] = useMutation(AdminCreateUserMutation);
  const serverErrors = fieldErrors(result.error);
  const err = (key: string) => clientErrors[key] ?? serverErrors[key];

  async function submit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    if (!name.trim()) errors.name = "Enter the name.";
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) errors.email = "Enter an e-mail address.";
    setClientErrors(errors);
    if (Object.keys(errors).length) return;
    const answer = await create({ input: { name: name.trim(), email: email.trim(), role } });
    if (!answer.error) {
      setOpen(false);
      setName("");
      setEmail("");
      setRole("USER");
      onCreated();
    }
  }

  return (
    <Dialog
      trigger={
        <button type="button" className="button primary">
          New person
        </button>
      }
      title="New person"
      open={open}
      onOpenChange={setOpen}
    >
      <form className="admin-dialog-form" onSubmit={submit} noValidate>
        <Field label="Name" error={err("name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="E-mail" error={err("email")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Role">
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </select>
        </Field>
        {result.error && hasUnplacedError(result.error, new Set(["name", "email"].filter((k) => serverErrors[k]))) && (
          <ErrorNotice error={result.error} />
        )}
        <button type="submit" className="button primary" disabled={result.fetching}>
          Create person
        </button>
      </form>
    </Dialog>
  );
}

function ExternalIds({ user }: { user: UserRow }) {
  const [open, setOpen] = useState(false);
  const [provider, setProvider] = useState(PROVIDERS[0]!);
  const [externalId, setExternalId] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [result, save] = useMutation(AdminSetExternalIdMutation);
  const ids = result.data?.setUserExternalId.externalIds ?? user.externalIds;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!provider.trim() || !externalId.trim()) {
      setError("Enter the provider and the account's id there.");
      return;
    }
    setError(undefined);
    const answer = await save({ userId: user.id, provider: provider.trim(), externalId: externalId.trim() });
    if (!answer.error) setExternalId("");
  }

  return (
    <Dialog
      trigger={
        <button type="button" className="button" aria-label={`External ids of ${user.name}`}>
          External ids
        </button>
      }
      title={`External ids of ${user.name}`}
      description="The person's accounts in the data sources that API KPIs read (Intercom, Aircall, Google Workspace…)."
      open={open}
      onOpenChange={setOpen}
    >
      <div className="stack">
        {ids.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <ul>
            {ids.map((e) => (
              <li key={e.provider}>
                {e.provider}: <code>{e.externalId}</code>
              </li>
            ))}
          </ul>
        )}
        <form className="admin-dialog-form" onSubmit={submit} noValidate>
          <Field label="Provider" hint="e.g. intercom, aircall, google_workspace">
            <input list="admin-providers" value={provider} onChange={(e) => setProvider(e.target.value)} />
          </Field>
          <datalist id="admin-providers">
            {PROVIDERS.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
          <Field label="Id at the provider" error={error ?? fieldErrors(result.error).externalId}>
            <input value={externalId} onChange={(e) => setExternalId(e.target.value)} />
          </Field>
          {result.error && !fieldErrors(result.error).externalId && <ErrorNotice error={result.error} />}
          <button type="submit" className="button primary" disabled={result.fetching}>
            Save external id
          </button>
        </form>
      </div>
    </Dialog>
  );
}
