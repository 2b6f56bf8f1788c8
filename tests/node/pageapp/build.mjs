// Bundles the test page with the real partysocket: node build.mjs <outdir> <linked|external|inline|none>
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [out, maps = "linked"] = process.argv.slice(2);
mkdirSync(join(out, "assets"), { recursive: true });
copyFileSync(join(here, "index.html"), join(out, "index.html"));
await build({
  entryPoints: [join(here, "src/main.js")],
  bundle: true,
  format: "iife",
  outfile: join(out, "assets/app.js"),
  sourcemap: maps === "none" ? false : maps,
  sourceRoot: "",
  nodePaths: [join(here, "../node_modules")],
  logLevel: "error",
});
