/** Placeholder: the view is built in its own change. */
export function UserView() {
  return <h1>My KPIs</h1>;
}
