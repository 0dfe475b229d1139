// Starting on WebGPU shows dlg's adapter line, not the warnings Dawn writes from C++ straight to fd 2 while it
// enumerates adapters. Those can only be caught where fd 2 can be reopened (runtime/node/webgpu-node.ts says why), so
// the CLI runs here with its stderr on a terminal, a pipe and a file opened for appending, as a user would have it:
// a Node child's piped stderr is a socket, where the warnings still pass through.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";
import { adapterTest, openTestGpu } from "./gpu-helpers.js";

const gpu = await openTestGpu();
const adapter = process.env["DLG_ADAPTER"];
const argv = [
  join(ROOT, "bin/dlg.js"), "train", "dsl-examples/iris-mlp.dlg", "--data", "iris", "--epochs", "1", "--backend", "webgpu", "--seed", "1",
  // The same adapter as the device opened above, so that the adapter lines can be compared.
  ...(adapter ? ["--adapter", adapter] : []),
];
// DLG_DEBUG turns the filtering off; DLG_WEBGPU=off would leave nothing to filter.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "DLG_DEBUG" && k !== "DLG_WEBGPU"));
const timeout = 120_000;
const dir = mkdtempSync(join(tmpdir(), "dlg-quiet-start-"));
const hasScript = process.platform === "linux" && spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

function expectQuiet(stderr: string): void {
  const lines = stderr.split(/\r?\n/);
  expect(lines.filter((l) => l.startsWith("Warning:")), stderr).toEqual([]);
  expect(stderr, stderr).not.toContain("maxDynamic");
  expect(lines, stderr).toContain(`adapter: ${gpu.ctx!.adapter}`);
}

describe("starting on WebGPU", () => {
  adapterTest(gpu, "quiet-start");

  it.runIf(gpu.ctx !== undefined)("prints no Dawn warning to a log file opened for appending", () => {
    const log = join(dir, "stderr.log");
    const fd = openSync(log, "a");
    let r: ReturnType<typeof spawnSync>;
    try {
      r = spawnSync(process.execPath, argv, { cwd: ROOT, env, encoding: "utf8", stdio: ["ignore", "pipe", fd], timeout });
    } finally {
      closeSync(fd);
    }
    const stderr = readFileSync(log, "utf8");
    expect(r.status, stderr).toBe(0);
    expectQuiet(stderr);
    expect(r.stdout).toMatch(/^epoch 1\/1 /m);
  });

  it.runIf(gpu.ctx !== undefined && process.platform !== "win32")("prints no Dawn warning into a pipe", () => {
    // A real pipe, as `dlg ... 2>&1 | tee log` gives; stdout keeps the original destination through fd 3.
    const script = 'exec 3>&1; "$0" "$@" 2>&1 >&3 3>&- | cat >&2';
    const r = spawnSync("sh", ["-c", script, process.execPath, ...argv], { cwd: ROOT, env, encoding: "utf8", timeout });
    expectQuiet(r.stderr);
    expect(r.stdout).toMatch(/^epoch 1\/1 /m);
  });

  it.runIf(gpu.ctx !== undefined && hasScript)("prints no Dawn warning on a terminal", () => {
    // util-linux `script` runs the command on a pseudo-terminal, where stdout and stderr arrive together.
    const command = [process.execPath, ...argv].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
    const r = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: ROOT, env, encoding: "utf8", timeout });
    expect(r.status, r.stdout).toBe(0);
    expectQuiet(r.stdout);
  });
});
