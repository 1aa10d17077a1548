import { NavLink, Outlet } from "react-router";
import { useQuery } from "urql";
import { endSession } from "../auth/session";
import { graphql } from "../gql";
import { QueryState } from "../ui/QueryState";
import { ViewerContext } from "./viewer";

const ViewerQuery = graphql(`
  query Viewer {
    me {
      id
      name
      role
    }
  }
`);

/** The signed-in frame: navigation by role, the signed-in person, sign-out; views render inside. */
export function Layout() {
  const [result] = useQuery({ query: ViewerQuery });
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">KPI</span>
        {result.data && (
          <nav aria-label="Main">
            <NavLink to="/me">My KPIs</NavLink>
            {result.data.me.role !== "USER" && <NavLink to="/teams">Teams</NavLink>}
            {result.data.me.role === "ADMIN" && <NavLink to="/admin">Admin</NavLink>}
          </nav>
        )}
        <div className="topbar-end">
          {result.data && <span className="who">{result.data.me.name}</span>}
          <button type="button" className="button subtle" onClick={() => endSession()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <QueryState result={result}>
          {({ me }) => (
            <ViewerContext.Provider value={me}>
              <Outlet />
            </ViewerContext.Provider>
          )}
        </QueryState>
      </main>
    </>
  );
}
