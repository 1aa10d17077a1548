import type { CodegenConfig } from "@graphql-codegen/cli";

/**
 * Typed operations for scripts and dashboards: the example operations in examples/operations are
 * checked against schema.graphql and compiled to typed document nodes (`npm run codegen`).
 */
const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["examples/operations/**/*.graphql"],
  generates: {
    "examples/generated/graphql.ts": {
      plugins: ["typescript", "typescript-operations", "typed-document-node"],
      config: {
        scalars: { Date: "string", DateTime: "string", JSON: "unknown" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
