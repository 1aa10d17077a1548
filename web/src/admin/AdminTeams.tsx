import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { AdminTeamsQuery as AdminTeamsResult } from "../gql/graphql";
import { Dialog } from "../ui/Dialog";
import { Field } from "../ui/Field";
import { ErrorNotice, QueryState } from "../ui/QueryState";
import { SectionHeader } from "./common";
import { fieldErrors } from "../ui/errors";
import { AdminPeopleChoicesQuery } from "./pickers";

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

type TeamRow = AdminTeamsResult["teams"][number];

/** Teams: create, manager, members. */
export function AdminTeams() {
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
