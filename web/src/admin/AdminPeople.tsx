import { useDeferredValue, useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { useViewer } from "../app/viewer";
import { graphql } from "../gql";
import type { AdminTeamsQuery as AdminTeamsResult, AdminUsersQuery as AdminUsersResult, Role } from "../gql/graphql";
import { DataTable, type ColumnDef } from "../ui/DataTable";
import { Dialog } from "../ui/Dialog";
import { Field } from "../ui/Field";
import { ErrorNotice, QueryState } from "../ui/QueryState";
import { hasUnplacedError, SectionHeader, StateBadge } from "./common";
import { fieldErrors } from "../ui/errors";
import { AdminPeopleChoicesQuery } from "./pickers";

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

const AdminTeamsQuery = graphql(`
  query AdminTeams {
    teams {
      id
      name
      manager {
        id
        name
      }
      members {
        user {
          id
          name
        }
      }
    }
  }
`);

const AdminCreateTeamMutation = graphql(`
  mutation AdminCreateTeam($input: CreateTeamInput!) {
    createTeam(input: $input) {
      id
      name
    }
  }
`);

const AdminSetTeamManagerMutation = graphql(`
  mutation AdminSetTeamManager($id: ID!, $managerId: ID) {
    updateTeam(id: $id, input: { managerId: $managerId }) {
      id
      manager {
        id
        name
      }
    }
  }
`);

const AdminAddTeamMemberMutation = graphql(`
  mutation AdminAddTeamMember($teamId: ID!, $userId: ID!) {
    addTeamMember(teamId: $teamId, userId: $userId) {
      id
      members {
        user {
          id
          name
        }
      }
    }
  }
`);

const AdminRemoveTeamMemberMutation = graphql(`
  mutation AdminRemoveTeamMember($teamId: ID!, $userId: ID!) {
    removeTeamMember(teamId: $teamId, userId: $userId) {
      id
      members {
        user {
          id
          name
        }
      }
    }
  }
`);

const ROLES: Role[] = ["USER", "MANAGER", "ADMIN"];
const ROLE_LABEL: Record<Role, string> = { USER: "Member", MANAGER: "Manager", ADMIN: "Admin" };
const PROVIDERS = ["intercom", "aircall", "google_workspace"];

type UserRow = AdminUsersResult["users"][number];
type TeamRow = AdminTeamsResult["teams"][number];

/** People (search, create, role, (de)activate, external ids) and teams (create, manager, members). */
export function AdminPeople() {
  return (
    <div className="stack">
      <Users />
      <Teams />
    </div>
  );
}

function Users() {
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

function Teams() {
  const [result, refetch] = useQuery({ query: AdminTeamsQuery });
  const [people] = useQuery({ query: AdminPeopleChoicesQuery });
  const users = people.data?.users ?? [];
  const managers = users.filter((u) => u.role !== "USER");
  return (
    <section className="stack" aria-labelledby="teams-title">
      <SectionHeader title="Teams" id="teams-title">
        <CreateTeam managers={managers} onCreated={() => refetch({ requestPolicy: "network-only" })} />
      </SectionHeader>
      <QueryState result={result} isEmpty={(data) => data.teams.length === 0} empty="No team yet.">
        {(data) => (
          <div className="grid">
            {data.teams.map((team) => (
              <TeamCard key={team.id} team={team} managers={managers} users={users} />
            ))}
          </div>
        )}
      </QueryState>
    </section>
  );
}

function TeamCard({
  team,
  managers,
  users,
}: {
  team: TeamRow;
  managers: Array<{ id: string; name: string }>;
  users: Array<{ id: string; name: string }>;
}) {
  const [managerResult, setManager] = useMutation(AdminSetTeamManagerMutation);
  const [addResult, add] = useMutation(AdminAddTeamMemberMutation);
  const [removeResult, remove] = useMutation(AdminRemoveTeamMemberMutation);
  const [newMember, setNewMember] = useState("");
  const members = team.members.map((m) => m.user);
  const candidates = users.filter((u) => !members.some((m) => m.id === u.id));
  const error = managerResult.error ?? addResult.error ?? removeResult.error;
  return (
    <article className="card stack" aria-labelledby={`team-${team.id}`}>
      <h3 id={`team-${team.id}`}>{team.name}</h3>
      <Field label={`Manager of ${team.name}`}>
        <select
          value={team.manager?.id ?? ""}
          onChange={(e) => void setManager({ id: team.id, managerId: e.target.value || null })}
        >
          <option value="">No manager</option>
          {managers.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </Field>
      <div>
        <h4 className="admin-subheading">Members ({members.length})</h4>
        {members.length === 0 ? (
          <p className="muted">No member yet.</p>
        ) : (
          <ul className="admin-members">
            {members.map((m) => (
              <li key={m.id}>
                <span>{m.name}</span>
                <button
                  type="button"
                  className="button"
                  aria-label={`Remove ${m.name} from ${team.name}`}
                  onClick={() => void remove({ teamId: team.id, userId: m.id })}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <form
        className="row admin-add-member"
        onSubmit={(event) => {
          event.preventDefault();
          if (!newMember) return;
          void add({ teamId: team.id, userId: newMember }).then((answer) => {
            if (!answer.error) setNewMember("");
          });
        }}
      >
        <Field label={`Add a member to ${team.name}`}>
          <select value={newMember} onChange={(e) => setNewMember(e.target.value)}>
            <option value="">Choose a person…</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" className="button" disabled={!newMember || addResult.fetching}>
          Add
        </button>
      </form>
      {error && <ErrorNotice error={error} />}
    </article>
  );
}

function CreateTeam({ managers, onCreated }: { managers: Array<{ id: string; name: string }>; onCreated: () => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [managerId, setManagerId] = useState("");
  const [nameError, setNameError] = useState<string | undefined>();
  const [result, create] = useMutation(AdminCreateTeamMutation);
  const serverErrors = fieldErrors(result.error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setNameError("Enter the team's name.");
      return;
    }
    setNameError(undefined);
    const answer = await create({ input: { name: name.trim(), managerId: managerId || undefined } });
    if (!answer.error) {
      setOpen(false);
      setName("");
      setManagerId("");
      onCreated();
    }
  }

  return (
    <Dialog
      trigger={
        <button type="button" className="button primary">
          New team
        </button>
      }
      title="New team"
      open={open}
      onOpenChange={setOpen}
    >
      <form className="admin-dialog-form" onSubmit={submit} noValidate>
        <Field label="Team name" error={nameError ?? serverErrors.name}>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Manager" hint="Optional: a manager or an admin.">
          <select value={managerId} onChange={(e) => setManagerId(e.target.value)}>
            <option value="">No manager</option>
            {managers.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </Field>
        {result.error && !serverErrors.name && <ErrorNotice error={result.error} />}
        <button type="submit" className="button primary" disabled={result.fetching}>
          Create team
        </button>
      </form>
    </Dialog>
  );
}
