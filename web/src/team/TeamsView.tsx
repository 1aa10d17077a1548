/** Placeholder: the view is built in its own change. */
export function TeamsView() {
  return <h1>Teams</h1>;
}
