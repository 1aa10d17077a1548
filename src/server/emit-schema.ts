import { writeFileSync } from "node:fs";
import { buildBareSchema, printSortedSchema } from "./schema.js";

// `npm run schema`: writes schema.graphql, which is committed and checked against the public contract.
writeFileSync(new URL("../../schema.graphql", import.meta.url), printSortedSchema(await buildBareSchema()));
console.log("schema.graphql written");
