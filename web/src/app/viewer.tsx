import { createContext, useContext } from "react";
import type { Role } from "../gql/graphql";

/** The signed-in person, as `me` answered: what the navigation and the views show or hide by role. */
export interface Viewer {
  id: string;
  name: string;
  role: Role;
}

export const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error("useViewer outside the signed-in layout");
  return viewer;
}
