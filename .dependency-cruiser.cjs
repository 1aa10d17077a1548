// The import rules of docs/architecture.md, checked by `npm run lint:deps`. This file checks every
// import, `import type` included; .dependency-cruiser-runtime.cjs checks folder cycles.
// Loaders are per-request batching over stores: they import no GraphQL either.
const DOMAIN =
  "^src/(engine|jobs|scoring|db|lib|config|live|observability)/|^src/modules/[^/]+/(?![^/]+\\.(resolver|type|input)\\.ts$)";
const GRAPHQL =
  "^node_modules/(type-graphql|graphql|graphql-shield|graphql-ws|@apollo)/|^src/(graphql|server)/|^src/modules/[^/]+/[^/]+\\.(resolver|type|input)\\.ts$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "graphql-at-the-edge",
      comment:
        "Services, stores, the engine, jobs and the pure folders know nothing of GraphQL, so jobs, the CLI and tests use them without it; resolvers, types and inputs are the edge.",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: GRAPHQL },
    },
    {
      name: "engine-below-features",
      comment: "The engine computes; it does not know the feature modules, the jobs that drive it, or the server.",
      severity: "error",
      from: { path: "^src/engine/" },
      to: { path: "^src/(modules|jobs|server|graphql|permissions|exports|hooks|seed)/|^src/[^/]+\\.ts$" },
    },
    {
      name: "features-below-jobs",
      comment: "Jobs drive services and the engine; a service hands work to the queue through a port it declares.",
      severity: "error",
      from: { path: "^src/modules/" },
      to: { path: "^src/(jobs|server|exports|hooks|seed)/|^src/[^/]+\\.ts$", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "pure-folders-at-the-bottom",
      comment: "lib, config, scoring and db hold pure functions, settings and the schema; they import nothing above them.",
      severity: "error",
      from: { path: "^src/(lib|config|scoring|db)/" },
      to: {
        path: "^src/(engine|modules|jobs|server|graphql|permissions|exports|hooks|seed|auth|live|observability)/|^src/[^/]+\\.ts$",
      },
    },
    {
      name: "no-file-cycles",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
