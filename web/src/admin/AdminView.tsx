import * as Tabs from "@radix-ui/react-tabs";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { NotFound } from "../ui/NotFound";
import { QueryState } from "../ui/QueryState";
import { AdminAlertRules } from "./AdminAlertRules";
import { AdminApiKeys } from "./AdminApiKeys";
import { AdminDefinitionEditor } from "./AdminDefinitionEditor";
import { AdminDefinitions } from "./AdminDefinitions";
import { AdminPeople } from "./AdminPeople";
import { AdminRuns } from "./AdminRuns";

/**
 * An admin-only question asked first: a person who is not an admin (who may open /admin by its
 * address) sees the server's refusal, not an empty panel.
 */
const AdminAccessQuery = graphql(`
  query AdminAccess {
    alertRules {
      id
    }
  }
`);

const SECTIONS = [
  { value: "definitions", label: "Definitions" },
  { value: "runs", label: "Calculation runs" },
  { value: "alerts", label: "Alert rules" },
  { value: "people", label: "People & teams" },
  { value: "api-keys", label: "API keys" },
] as const;

/** The admin panel: KPI definitions, calculation runs, alert rules, people and teams, API keys. */
export function AdminView() {
  const [access] = useQuery({ query: AdminAccessQuery });
  return (
    <section className="admin">
      <h1>Admin</h1>
      <QueryState result={access}>{() => <AdminPanel />}</QueryState>
    </section>
  );
}

function AdminPanel() {
  const location = useLocation();
  const navigate = useNavigate();
  const section = location.pathname.split("/")[2] ?? "";
  const known = SECTIONS.some((s) => s.value === section);

  const routes = (
    <Routes>
      <Route path="definitions" element={<AdminDefinitions />} />
      <Route path="definitions/new" element={<AdminDefinitionEditor />} />
      <Route path="definitions/:definitionId" element={<AdminDefinitionEditor />} />
      <Route path="runs" element={<AdminRuns />} />
      <Route path="alerts" element={<AdminAlertRules />} />
      <Route path="people" element={<AdminPeople />} />
      <Route path="api-keys" element={<AdminApiKeys />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );

  if (section === "") return <Navigate to="/admin/definitions" replace />;
  return (
    <Tabs.Root value={section} onValueChange={(value) => navigate(`/admin/${value}`)} activationMode="manual">
      <Tabs.List aria-label="Admin sections" className="admin-tabs">
        {SECTIONS.map((s) => (
          <Tabs.Trigger key={s.value} value={s.value} className="admin-tab">
            {s.label}
          </Tabs.Trigger>
        ))}
      </Tabs.List>
      {known
        ? SECTIONS.map((s) => (
            <Tabs.Content key={s.value} value={s.value} className="admin-panel">
              {routes}
            </Tabs.Content>
          ))
        : routes}
    </Tabs.Root>
  );
}
