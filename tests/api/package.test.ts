// The package as a consumer gets it: built fresh and packed (package.json's `files` and `exports` as they stand),
// installed from the tarball into an empty project, and used through its three entry points by the README's examples
// ("Using dlg as a library"), which are type-checked there (strict, NodeNext) and run. The examples are read from
// README.md, so the README cannot drift from what works.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

const SECTION = "## Using dlg as a library";
/** The README's examples, by the file name on their first line: two Node scripts and a page's module. */
const NODE_EXAMPLES = ["model.test.ts", "shapes.ts", "train-iris.ts"];
const PAGE_EXAMPLE = "page.ts";
/** The batch the page example's tensors have, which its artifacts are compiled for. */
const PAGE_BATCH = 4;
/** What the page runner exits with when Dawn finds no adapter. */
const NO_ADAPTER = 77;

interface PackedFile {
  path: string;
  size: number;
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
}

type Target = string | { types?: string; default?: string };

interface PackageJson {
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  files?: string[];
  exports?: Record<string, Target>;
}

/** The examples of the README's library section, by the name on their first line (`// shapes.ts`). */
function readmeExamples(): Map<string, string> {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no section "${SECTION}"`);
  const end = readme.indexOf("\n## ", start + SECTION.length);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const examples = new Map<string, string>();
  for (const [, code] of section.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const name = /^\/\/ (\S+\.ts)\n/.exec(code!)?.[1];
    if (!name) throw new Error(`an example in "${SECTION}" does not start with its file name (// name.ts):\n${code}`);
    examples.set(name, code!);
  }
  return examples;
}

/** A child's environment without the npm_* variables of an enclosing `npm test`, which would steer a nested npm. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function run(command: string, args: readonly string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: "utf8", timeout, maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return result;
}

function succeed(command: string, args: readonly string[], cwd: string): string {
  const r = run(command, args, cwd);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function output(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** Every path a package.json names: main, types, bin, and each export's targets (wildcards left out). */
function namedPaths(pkg: PackageJson): string[] {
  const targets = Object.values(pkg.exports ?? {}).flatMap((t) => (typeof t === "string" ? [t] : [t.types, t.default]));
  return [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {}), ...targets]
    .filter((p): p is string => p !== undefined && !p.includes("*"))
    .map((p) => posix.normalize(p));
}

/** The declaration files reachable from `entry` through relative imports and re-exports. */
function reachableDeclarations(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(/(?:from |import\()"(\.{1,2}\/[^"]+)\.js"/g)) {
      queue.push(join(dirname(file), `${spec}.d.ts`));
    }
  }
  return [...seen];
}

/** Lines of a declaration file that mention `any` as a type (comments and string literals do not count). */
function anyTypes(file: string): string[] {
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "));
  return text.split("\n").flatMap((line, i) => {
    const code = line.replace(/\/\/.*$/, "").replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""');
    return /\bany\b/.test(code) ? [`${file}:${i + 1}: ${line.trim()}`] : [];
  });
}

// Node runs the page's module with what a browser would give it: WebGPU (Dawn, as runtime/node/webgpu-node.ts
// loads it) as navigator.gpu, and fetch for the file: URLs the module resolves its artifacts against.
const PAGE_RUNNER = `import { readFile } from "node:fs/promises";
import { GpuUnavailableError } from "dlg/runtime";

let gpu;
try {
  gpu = (await import("webgpu")).create([]);
} catch (e) {
  console.error(\`the webgpu package does not load here: \${e instanceof Error ? e.message.split("\\n")[0] : e}\`);
  process.exit(${NO_ADAPTER});
}
Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true });
const networkFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.protocol !== "file:") return networkFetch(input, init);
  try {
    return new Response(await readFile(url));
  } catch {
    return new Response(null, { status: 404 });
  }
};
try {
  await import("./out/page.js");
} catch (e) {
  if (!(e instanceof GpuUnavailableError)) throw e;
  console.error(e.message);
  process.exit(${NO_ADAPTER});
}
process.exit(0);
`;

const compilerOptions = {
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  strict: true,
  noEmitOnError: true,
  outDir: "out",
  rootDir: "src",
};

describe("the packed package", () => {
  const tmp = mkdtempSync(join(tmpdir(), "dlg-package-"));
  const stage = join(tmp, "stage");
  const app = join(tmp, "app");
  const installed = join(app, "node_modules", "dlg");
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  const examples = readmeExamples();
  let packed: PackResult;
  let checkNode: SpawnSyncReturns<string>;
  let checkPage: SpawnSyncReturns<string>;
  let started = 0;

  beforeAll(() => {
    started = performance.now();
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;

    // Packed from a copy with a build of its own: the repository's dist/ is left alone (other test files run the
    // CLI from it meanwhile) and may hold files of sources since removed, which a clean clone's would not.
    mkdirSync(stage);
    const extras = readdirSync(ROOT).filter((f) => /^(readme|licen[cs]e)(\.|$)/i.test(f));
    for (const entry of ["package.json", ...extras, ...(pkg.files ?? []).filter((f) => !f.startsWith("!") && f !== "dist")]) {
      if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
    }
    succeed(tsc, ["-p", join(ROOT, "tsconfig.json"), "--outDir", join(stage, "dist")], ROOT);
    // `prepare` would build again, from sources the copy does not have.
    const pack = succeed("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], stage);
    packed = (JSON.parse(pack) as PackResult[])[0]!;

    mkdirSync(join(app, "src"), { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "dlg-consumer", private: true, type: "module" }));
    // The version the repository's own install put in the npm cache.
    const typesNode = `@types/node@${(JSON.parse(readFileSync(join(ROOT, "node_modules", "@types", "node", "package.json"), "utf8")) as { version: string }).version}`;
    succeed("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(tmp, packed.filename), typesNode], app);

    for (const [name, code] of examples) writeFileSync(join(app, "src", name), code);
    // Every declaration the three entry points reach, checked where no Node types exist: they need none.
    writeFileSync(join(app, "src", "declarations.ts"), 'export type * from "dlg";\nexport type * from "dlg/runtime";\nexport type * from "dlg/node";\nexport type * from "dlg/testing";\n');
    // Node scripts as `tsc --init` sets a project up: skipLibCheck, since @webgpu/types is written against the DOM.
    writeFileSync(join(app, "tsconfig.node.json"), JSON.stringify({
      compilerOptions: { ...compilerOptions, types: ["node"], skipLibCheck: true },
      files: NODE_EXAMPLES.map((n) => `src/${n}`),
    }));
    // A page: the DOM and no Node types; libraries' declarations checked too (TypeScript's own lib files excepted).
    writeFileSync(join(app, "tsconfig.page.json"), JSON.stringify({
      compilerOptions: { ...compilerOptions, lib: ["ES2022", "DOM"], types: [], skipLibCheck: false, skipDefaultLibCheck: true },
      files: [`src/${PAGE_EXAMPLE}`, "src/declarations.ts"],
    }));
    checkNode = run(tsc, ["-p", "tsconfig.node.json"], app);
    checkPage = run(tsc, ["-p", "tsconfig.page.json"], app);
    console.log(`package test: packed, installed and type-checked in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }, 240_000);

  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
    if (started) console.log(`package test: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
  });

  it("holds the build, the dlg command, the examples and the README, and no source maps, benchmarks or tests", () => {
    const paths = packed.files.map((f) => f.path);
    console.log(`package test: ${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(1)} kB (${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked)`);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;
    for (const path of namedPaths(pkg)) expect(paths, `package.json names ${path}`).toContain(path);
    expect(paths).toEqual(expect.arrayContaining(["README.md", "bin/dlg.js", "dsl-examples/iris-mlp.dlg", "dist/cli/dlg.js"]));
    const stray = paths.filter((p) => !/^(dist|bin|dsl-examples)\//.test(p) && !/^(package\.json|README\.md|LICEN[CS]E(\.\w+)?)$/i.test(p));
    expect(stray, "files outside dist/, bin/, dsl-examples/").toEqual([]);
    expect(paths.filter((p) => p.endsWith(".map") || /^dist\/(bench|tests)\//.test(p))).toEqual([]);
  });

  it("has public declarations without `any`", () => {
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as PackageJson;
    const entries = Object.values(pkg.exports ?? {}).flatMap((t) => (typeof t === "string" || !t.types ? [] : [join(installed, t.types)]));
    expect(entries).toHaveLength(4);
    const found = [...new Set(entries.flatMap(reachableDeclarations))].flatMap(anyTypes);
    expect(found, found.join("\n")).toEqual([]);
  });

  it("type-checks the README's examples in a strict NodeNext project: two Node scripts and a page", () => {
    expect([...examples.keys()].sort()).toEqual([...NODE_EXAMPLES, PAGE_EXAMPLE].sort());
    expect(checkNode.status, output(checkNode)).toBe(0);
    expect(checkPage.status, output(checkPage)).toBe(0);
  });

  it("runs the model-test example: the property passes on the packaged iris model", () => {
    const r = run(process.execPath, ["--test", "out/model.test.js"], app);
    expect(r.status, output(r)).toBe(0);
    expect(r.stdout).toMatch(/^# pass 1$/m);
  });

  it("runs the shapes example: it prints the types the README shows", () => {
    const r = run(process.execPath, ["out/shapes.js"], app);
    expect(r.status, output(r)).toBe(0);
    const shown = [...examples.get("shapes.ts")!.matchAll(/^\/\/ (\w+: \w+\[.*\])$/gm)].map((m) => m[1]);
    expect(shown.length).toBeGreaterThan(0);
    expect(r.stdout.trim().split("\n")).toEqual(shown);
  });

  it("runs the training example on the built-in iris data: one line per epoch, the loss falling", () => {
    const r = run(process.execPath, ["out/train-iris.js"], app);
    expect(r.status, output(r)).toBe(0);
    const losses = [...r.stdout.matchAll(/^epoch \d+: loss (\d+\.\d+), held-out accuracy \d+\.\d%$/gm)].map((m) => Number(m[1]));
    expect(losses.length, r.stdout).toBe(r.stdout.trim().split("\n").length);
    expect(losses.length).toBeGreaterThan(1);
    expect(losses.at(-1)!, r.stdout).toBeLessThan(losses[0]! / 2);
  });

  it("runs the page example on a WebGPU adapter, against `dlg compile` artifacts from the installed command", () => {
    const model = join(app, "out", "model");
    succeed(process.execPath, [join(installed, "bin", "dlg.js"), "compile", join(installed, "dsl-examples", "iris-mlp.dlg"), "--batch", String(PAGE_BATCH), "-o", model], app);
    expect(existsSync(join(model, "manifest.json"))).toBe(true);
    writeFileSync(join(app, "run-page.mjs"), PAGE_RUNNER);
    const r = process.env["DLG_WEBGPU"] === "off" ? undefined : run(process.execPath, ["run-page.mjs"], app);
    if (!r || r.status === NO_ADAPTER) {
      const reason = r ? r.stderr.trim().split("\n").at(-1) : "WebGPU is turned off (DLG_WEBGPU=off)";
      if (process.env["CI"] === "true") throw new Error(`package test: no WebGPU adapter under CI for the page example: ${reason}`);
      console.warn(`package test: page example SKIPPED (type-checked only), no WebGPU adapter: ${reason}`);
      return;
    }
    expect(r.status, output(r)).toBe(0);
    const loss = /^loss (\d+\.\d+) -> (\d+\.\d+)$/m.exec(r.stdout);
    expect(loss, r.stdout).not.toBeNull();
    expect(Number(loss![2]), r.stdout).toBeLessThan(Number(loss![1]));
    expect(r.stdout).toMatch(new RegExp(`^logits: f32\\[${PAGE_BATCH}, 3\\]( -?\\d+\\.\\d+){${PAGE_BATCH * 3}}$`, "m"));
  });
});
