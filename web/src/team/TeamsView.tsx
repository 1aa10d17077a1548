import { Link } from "react-router";
import { useQuery } from "urql";
import { useViewer } from "../app/viewer";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import { formatPercent } from "../ui/format";
import { QueryState } from "../ui/QueryState";
import { StatusBadge } from "../ui/StatusBadge";

const TeamCardFragment = graphql(`
  fragment TeamCard_team on Team {
    id
    name
    manager {
      id
      name
    }
    members {
      user {
        id
      }
    }
    averages {
      overallScore
    }
  }
`);

const TeamsViewQuery = graphql(`
  query TeamsView {
    teams {
      id
      ...TeamCard_team
    }
  }
`);

/** The teams the viewer manages (all of them for an admin), each leading to its team page. */
export function TeamsView() {
  const viewer = useViewer();
  const [result] = useQuery({ query: TeamsViewQuery });
  return (
    <div className="stack">
      <h1>{viewer.role === "ADMIN" ? "All teams" : "Your teams"}</h1>
      <QueryState
        result={result}
        isEmpty={(data) => data.teams.length === 0}
        empty={viewer.role === "ADMIN" ? "No teams yet." : "You don't manage or belong to any team yet."}
      >
        {(data) => (
          <ul className="team-cards" aria-label="Teams">
            {data.teams.map((team) => (
              <li key={team.id}>
                <TeamCard team={team} />
              </li>
            ))}
          </ul>
        )}
      </QueryState>
    </div>
  );
}

function TeamCard(props: { team: FragmentType<typeof TeamCardFragment> }) {
  const team = getFragmentData(TeamCardFragment, props.team);
  const count = team.members.length;
  return (
    <article className="card team-card">
      <h2>
        <Link to={`/teams/${team.id}`}>{team.name}</Link>
      </h2>
      <dl className="facts">
        <div>
          <dt>Manager</dt>
          <dd>{team.manager?.name ?? "No manager"}</dd>
        </div>
        <div>
          <dt>Members</dt>
          <dd>{count === 1 ? "1 member" : `${count} members`}</dd>
        </div>
        <div>
          <dt>Average score</dt>
          <dd>
            <span className="figure">{formatPercent(team.averages.overallScore)}</span>{" "}
            <StatusBadge achievement={team.averages.overallScore} />
          </dd>
        </div>
      </dl>
    </article>
  );
}
