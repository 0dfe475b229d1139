// The files `dlg compile --web DIR` adds beside the artifacts: the page (web/index.html) and the browser runtime
// bundled with the page script (web/bundle.mjs builds both into dist/web/ when the package is built).
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FileSystemError } from "./io.js";

export const PAGE_FILE = "index.html";
export const PAGE_SCRIPT = "dlg-page.js";
export const PAGE_WEIGHTS = "weights.safetensors";

/** The package's root: the nearest directory above this module holding dlg's package.json (from dist/cli or cli/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "dlg") return dir;
    const up = dirname(dir);
    if (up === dir) throw new FileSystemError("cannot find dlg's package directory (for the web page's files)");
    dir = up;
  }
}

/** The page and its script, as built; missing files are one line saying how to build them. */
export function pageAssets(): Map<string, string> {
  const dir = join(packageRoot(), "dist", "web");
  const assets = new Map<string, string>();
  for (const file of [PAGE_FILE, PAGE_SCRIPT]) {
    try {
      assets.set(file, readFileSync(join(dir, file), "utf8"));
    } catch {
      throw new FileSystemError(`the web page's ${file} is missing from ${dir}; build it with npm run build`);
    }
  }
  return assets;
}
