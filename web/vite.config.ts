import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const api = process.env.KPI_API_URL ?? "http://localhost:4000";

/**
 * The web dashboard: built into web/dist, which the server serves at `/` (npm install builds it).
 * `npm run dev:web` serves it with hot reload and passes the API's paths to a running `npm start`.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // .vite/manifest.json: which chunks a first load takes (bench/web.ts counts their gzipped size).
    manifest: true,
    // The first load's budget (README) is measured on gzipped JavaScript; warn well before it.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      "/graphql": { target: api, ws: true },
      "/exports": api,
    },
  },
});
