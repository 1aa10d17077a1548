// Folder cycles, judged on the imports that survive compilation. `import type` is left out on
// purpose: the GraphQL Context type names the services and loaders the feature resolvers call, so
// a type-level loop between src/graphql and src/modules is inherent to feature folders; a runtime
// loop never is.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-folder-cycles",
      comment: "Folders form layers: see docs/architecture.md.",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
