// ESLint with typescript-eslint's type-aware rules. The ones that matter most here are the promise
// rules: the server starts many fire-and-forget tasks (live events, cache invalidation, job hand-back),
// and a forgotten await there is a silent lost write or an unhandled rejection that stops the process.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "web/dist/",
      "web/src/gql/",
      "examples/generated/",
      "drizzle/",
      "coverage/",
      "playwright-report/",
      "test-results/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        project: ["./tsconfig.json", "./web/tsconfig.json", "./test/browser/tsconfig.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-import-type-side-effects": "error",
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // TypeScript's own noUnusedLocals/noUnusedParameters already report these.
      "@typescript-eslint/no-unused-vars": "off",
      "no-unused-vars": "off",
    },
  },
  {
    // TanStack Table's column definitions are typed ColumnDef<Row, any> by design (each column has
    // its own value type); tests and benchmarks read untyped JSON responses.
    files: ["web/src/**", "test/**", "bench/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // React event attributes take async handlers; they handle their own errors (urql resolves
    // failed operations with an error result instead of rejecting).
    files: ["web/src/**"],
    rules: { "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }] },
  },
  {
    files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } },
  },
);
