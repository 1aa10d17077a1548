import { lazy, Suspense, useEffect, useMemo } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { Provider } from "urql";
import { AuthCallback } from "../auth/AuthCallback";
import { SignInPage } from "../auth/SignInPage";
import { useSession } from "../auth/use-session";
import { Loading } from "../ui/QueryState";
import { NotFound } from "../ui/NotFound";
import { UserView } from "../user/UserView";
import { KpiDetailView } from "../user/KpiDetailView";
import { createGraphQLClient } from "./graphql-client";
import { Home } from "./Home";
import { ServerStatus } from "./ServerStatus";
import { Layout } from "./Layout";

// Managers' and admins' views load on demand: a member's first load carries only what they see.
const loadTeamsView = () => import("../team/TeamsView").then((m) => ({ default: m.TeamsView }));
const loadTeamView = () => import("../team/TeamView").then((m) => ({ default: m.TeamView }));
const loadAdminView = () => import("../admin/AdminView").then((m) => ({ default: m.AdminView }));
const TeamsView = lazy(loadTeamsView);
const TeamView = lazy(loadTeamView);
const AdminView = lazy(loadAdminView);

// A page opened directly (a link, a reload) fetches its view's code while the person is being
// looked up (`me`), rather than after.
if (location.pathname.startsWith("/teams/")) void loadTeamView();
else if (location.pathname === "/teams") void loadTeamsView();
else if (location.pathname.startsWith("/admin")) void loadAdminView();

export function App() {
  const session = useSession();
  // A new client per session: nothing cached for one person is ever shown to the next.
  const { client, dispose } = useMemo(() => createGraphQLClient(session), [session]);
  useEffect(() => dispose, [dispose]);

  return (
    <Provider value={client}>
      <BrowserRouter>
        <ServerStatus />
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/signin" element={<SignInPage />} />
            <Route path="/auth/callback" element={<AuthCallback />} />
            <Route element={session ? <Layout /> : <Navigate to="/signin" replace />}>
              <Route index element={<Home />} />
              <Route path="me" element={<UserView />} />
              <Route path="people/:userId" element={<UserView />} />
              <Route path="kpis/:userKpiId" element={<KpiDetailView />} />
              <Route path="teams" element={<TeamsView />} />
              <Route path="teams/:teamId" element={<TeamView />} />
              <Route path="admin/*" element={<AdminView />} />
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </Suspense>
      </BrowserRouter>
    </Provider>
  );
}
