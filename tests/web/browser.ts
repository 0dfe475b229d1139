// A real browser for the page tests: Debian's Chromium driven by playwright-core, its WebGPU (SwiftShader) enabled,
// and a static file server for a `dlg compile --web` directory. Without a browser the suite skips, except under
// CI=true, where it fails (as the WebGPU tests do without an adapter).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env["DLG_CHROMIUM"] ?? "/usr/bin/chromium";

/** Flags from ../shared/WEBGPU-NODE.md: WebGPU on, nothing that reaches the network. */
const FLAGS = ["--enable-unsafe-webgpu", "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export async function launchBrowser(): Promise<{ browser: Browser | undefined; reason: string }> {
  if (!existsSync(CHROMIUM)) return { browser: undefined, reason: `no browser at ${CHROMIUM} (apt-get install chromium, or set DLG_CHROMIUM)` };
  return { browser: await chromium.launch({ executablePath: CHROMIUM, args: FLAGS }), reason: "" };
}

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".json": "application/json", ".wgsl": "text/plain", ".svg": "image/svg+xml" };

/** Serves `dir` on 127.0.0.1 (a random port); only files inside it. */
export async function serveDirectory(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    const file = normalize(join(dir, path.endsWith("/") ? `${path}index.html` : path));
    if (!file.startsWith(normalize(dir))) return void res.writeHead(403).end();
    readFile(file).then(
      (body) => res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}
