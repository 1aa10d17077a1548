import { relative } from "node:path";
import { createMigratedDataDir } from "./embedded-pglite.js";
import { buildImage } from "./embedded-image.js";

// `npm run build` and `npm install` run this: the image an empty embedded DATA_DIR starts from
// (embedded-image.ts), made unless the one for the current migrations exists.
const started = performance.now();
const { dir, built } = await buildImage(createMigratedDataDir);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `Embedded database image ${relative(process.cwd(), dir)}: ${built ? `made in ${seconds} s` : "up to date"}\n`,
);
