/** Placeholder: the view is built in its own change. */
export function TeamView() {
  return <h1>Team</h1>;
}
