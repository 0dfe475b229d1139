// `dlg graph`: the forward graph, with --backward its gradients, with --fused each node inside the kernel that
// computes it (the same kernels `dlg compile` emits), as DOT, Mermaid or an SVG laid out in-process.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-graph-"));
const mnist = "dsl-examples/mnist-mlp.dlg";

/** Node ids inside each `subgraph cluster_kI { ... }` of a DOT text, and the node ids declared outside any. */
function clusters(dot: string): { inside: number[][]; outside: number[] } {
  const inside: number[][] = [];
  const outside: number[] = [];
  let current: number[] | undefined;
  for (const line of dot.split("\n")) {
    if (/^\s*subgraph cluster_k\d+ \{/.test(line)) inside.push((current = []));
    else if (/^\s*\}\s*$/.test(line)) current = undefined;
    const node = /^\s*n(\d+) \[label=/.exec(line);
    if (node) (current ?? outside).push(Number(node[1]));
  }
  return { inside, outside };
}

describe("dlg graph", () => {
  it("--fused puts every computed node in exactly one kernel: the kernels dlg compile emits", async () => {
    const r = await runCli(["graph", mnist, "--fused", "--batch", "32"]);
    expect(r.code, r.stderr).toBe(0);
    const { inside, outside } = clusters(r.stdout);
    const compiled = JSON.parse((await runCli(["compile", mnist, "--batch", "32", "--fixed-batch", "-o", join(dir, "c"), "--json"])).stdout);
    expect(inside).toHaveLength(compiled.forward.kernels);
    const all = [...inside.flat(), ...outside];
    expect(new Set(all).size).toBe(all.length); // no node twice
    const plain = clusters((await runCli(["graph", mnist])).stdout);
    expect(plain.inside).toEqual([]);
    expect(all.sort((a, b) => a - b)).toEqual(plain.outside.sort((a, b) => a - b));
    // Sources (inputs, parameters, constants) are read by kernels, not computed by them.
    for (const line of r.stdout.split("\n").filter((l) => /label="(input|param|constant) /.test(l))) expect(line).not.toContain("fillcolor");
    expect(r.stdout).toMatch(/label="kernel \d+: matmul \+ add \+ relu/);
  });

  it("--backward draws the gradients too, and --fused groups them into the backward program's kernels", async () => {
    const forward = clusters((await runCli(["graph", mnist])).stdout).outside.length;
    const r = await runCli(["graph", mnist, "--backward", "--fused"]);
    expect(r.code, r.stderr).toBe(0);
    const { inside, outside } = clusters(r.stdout);
    expect(inside.flat().length + outside.length).toBeGreaterThan(2 * forward);
    expect(inside.length).toBeGreaterThan(10);
    expect((await runCli(["graph", mnist, "--backward", "--format", "mermaid"])).stdout).toMatch(/^flowchart TD\n/);
  });

  it("--format svg lays the graph out without a system Graphviz, one coloured cluster per kernel", async () => {
    const out = join(dir, "mnist.svg");
    const r = await runCli(["graph", mnist, "--fused", "--format", "svg", "-o", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^wrote the forward graph of MnistMLP \(\d+ nodes, \d+ kernels\) to /);
    const svg = readFileSync(out, "utf8");
    expect(svg).toMatch(/<svg[\s\S]*<\/svg>\s*$/);
    const kernels = Number(/(\d+) kernels/.exec(r.stderr)![1]);
    expect(svg.match(/<g id="clust\d+" class="cluster">/g)).toHaveLength(kernels);
    expect(svg).toContain('fill="#8dd3c7"');
    expect(svg).toContain("matmul");
  });

  it("refuses options that do not apply, in one line", async () => {
    expect(await runCli(["graph", mnist, "--format", "png"])).toMatchObject({ code: 2, stderr: "dlg: graph: --format must be dot, mermaid or svg, got 'png'\n" });
    expect(await runCli(["graph", mnist, "--batch", "8"])).toMatchObject({ code: 2, stderr: "dlg: graph: --batch is for --fused (the batch size the kernels are compiled for)\n" });
    const noLoss = join(dir, "noloss.dlg");
    writeFileSync(noLoss, "model M {\n  input x: f32[N, 3]\n  y = dense(x, 2)\n  output y\n}\n");
    expect(await runCli(["graph", noLoss, "--backward"])).toMatchObject({ code: 2, stderr: "dlg: graph: --backward needs a loss, and model M has no `train` statement\n" });
  });
});
