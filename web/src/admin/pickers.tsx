import { useId, useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { QueryState } from "../ui/QueryState";

/** The active people, for the pickers (preview, bulk assign, memberships). */
export const AdminPeopleChoicesQuery = graphql(`
  query AdminPeopleChoices {
    users(filter: { isActive: true }, limit: 1000) {
      id
      name
      email
      role
    }
  }
`);

/** Teams, for the pickers (bulk assign, runs). */
export const AdminTeamChoicesQuery = graphql(`
  query AdminTeamChoices {
    teams {
      id
      name
    }
  }
`);

/**
 * A list of people to tick, with a box that narrows it by name: keyboard-usable (Tab, Space), each
 * checkbox labelled by the person's name.
 */
export function PeoplePicker(props: { legend: string; selected: string[]; onChange: (ids: string[]) => void; error?: string }) {
  const [result] = useQuery({ query: AdminPeopleChoicesQuery });
  const [search, setSearch] = useState("");
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <fieldset className="admin-fieldset" aria-describedby={props.error ? errorId : undefined}>
      <legend>{props.legend}</legend>
      <label className="admin-inline-label">
        Find a person
        <input type="search" value={search} onChange={(event) => setSearch(event.target.value)} />
      </label>
      <QueryState result={result}>
        {(data) => {
          const needle = search.trim().toLowerCase();
          const people = data.users.filter(
            (user) => !needle || user.name.toLowerCase().includes(needle) || user.email.toLowerCase().includes(needle),
          );
          return (
            <ul className="admin-checklist">
              {people.map((user) => (
                <li key={user.id}>
                  <label>
                    <input
                      type="checkbox"
                      checked={props.selected.includes(user.id)}
                      onChange={(event) =>
                        props.onChange(
                          event.target.checked ? [...props.selected, user.id] : props.selected.filter((s) => s !== user.id),
                        )
                      }
                    />
                    {user.name}
                  </label>
                </li>
              ))}
              {people.length === 0 && <li className="muted">Nobody matches.</li>}
            </ul>
          );
        }}
      </QueryState>
      {props.error && (
        <p className="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </fieldset>
  );
}
