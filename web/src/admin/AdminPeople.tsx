import { AdminTeams } from "./AdminTeams";
import { AdminUsers } from "./AdminUsers";

/** People (search, create, role, (de)activate, external ids) and teams (create, manager, members). */
export function AdminPeople() {
  return (
    <div className="stack">
      <AdminUsers />
      <AdminTeams />
    </div>
  );
}
