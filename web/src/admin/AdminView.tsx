/** Placeholder: the view is built in its own change. */
export function AdminView() {
  return <h1>Admin</h1>;
}
