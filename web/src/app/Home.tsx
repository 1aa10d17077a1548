import { Navigate } from "react-router";
import { useViewer } from "./viewer";

/** Where each role starts: members on their KPIs, managers on their teams, admins on the admin panel. */
export function Home() {
  const { role } = useViewer();
  return <Navigate to={role === "ADMIN" ? "/admin" : role === "MANAGER" ? "/teams" : "/me"} replace />;
}
