// Builds the page `dlg compile --web` writes: the browser runtime and the page script in one ES module, plus its HTML.
// Run by `npm run build` (and so by `npm ci`); fails if the bundle would pull in anything but the runtime.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "web");
mkdirSync(out, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ["web/page.ts"],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  metafile: true,
  outfile: join(out, "dlg-page.js"),
  logLevel: "warning",
});
const foreign = Object.keys(result.metafile.inputs).filter((f) => !/^(runtime\/(?!node\/)|web\/)/.test(f));
if (foreign.length > 0) {
  console.error(`web/bundle.mjs: the page may bundle only the browser runtime and web/, but it pulls in ${foreign.join(", ")}`);
  process.exit(1);
}
copyFileSync(join(root, "web", "index.html"), join(out, "index.html"));
