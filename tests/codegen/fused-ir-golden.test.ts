// The kernels the pipeline makes of each example, as golden text: which IR nodes each kernel of the forward program
// and of the training step computes, at a small batch, for the WebGPU core limits `dlg compile` targets. A change to
// fusion, folding or autodiff shows up here as a readable diff. Refreshed with UPDATE_GOLDEN=1.
import { expectGolden, ROOT } from "../helpers.js";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { opDef } from "../../compiler/ops/index.js";
import { describe, expect, it } from "vitest";
import { maskRows } from "../../compiler/4-optimize/row-mask.js";
import { batchShapes, checkSource, compileModel, DEFAULT_LIMITS, namedReads, planProgram, programGraph, type ProgramPlan } from "../../compiler/index.js";
import { isPerElement } from "../../compiler/4-optimize/fuse.js";
import type { Graph, NodeId } from "../../compiler/ir/graph.js";
import type { ProgramKind, ProgramManifest } from "../../runtime/manifest.js";

/** Small enough to keep the goldens short, large enough that the batch dim is not folded away as a 1. */
const GOLDEN_BATCH = 4;

const examples = readdirSync(join(ROOT, "dsl-examples")).filter((f) => f.endsWith(".dlg")).sort();
const goldenDir = join(ROOT, "tests", "golden", "fused");

const shapeText = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** `k3  %12 matmul, %13 add, %14 relu  anchor %12  out %14  f32[4, 16]  # hidden`. */
function kernelLine(graph: Graph, plan: ProgramPlan, k: ProgramPlan["kernels"][number], index: number): string {
  const node = (n: NodeId) => graph.nodes[n]!;
  // Views (slices, reshapes) fused into a group are read in place by their consumers: marked `view`.
  const isView = (n: NodeId) => k.nodes.length > 1 && !isPerElement(node(n)) && opDef(node(n).op).view !== undefined;
  const members = k.nodes.map((n) => `%${n} ${isView(n) ? "view " : ""}${node(n).op}`).join(", ");
  // At most one other member is not computed per element: the op whose kernel emitter the others follow as an epilogue.
  const anchors = k.nodes.filter((n) => !isPerElement(node(n)) && !isView(n));
  expect(anchors.length, `kernel ${index} (${k.what}) has at most one anchor`).toBeLessThanOrEqual(1);
  if (anchors.length === 1) expect(node(anchors[0]!).op, `kernel ${index} is written by its anchor's emitter`).toBe(k.op);
  const anchor = anchors.length === 1 ? `%${anchors[0]}` : "-";
  const outputs = k.bindings.flatMap((b) => (b.role.kind === "output" ? [`%${b.role.node}`] : [])).join(", ");
  const root = plan.types[k.node]!;
  const label = node(k.node).label ? `  # ${node(k.node).label}` : "";
  return `k${index}  ${members}  anchor ${anchor}  out ${outputs}  ${root.dtype}${shapeText(root.shape)}${label}`;
}

function programText(kind: ProgramKind, graph: Graph, plan: ProgramPlan, manifest: ProgramManifest): string {
  // The plan is the one `dlg compile` turns into this manifest: the same kernels in the same order.
  expect(plan.kernels.map((k) => k.wgsl), `${kind}: kernels of the plan and of the compiled manifest`).toEqual(manifest.kernels.map((k) => k.wgsl));
  const dims = [...plan.env].map(([d, v]) => `${d}=${v}`).join(", ");
  return [`${kind}: ${plan.kernels.length} kernels${dims ? ` (${dims})` : ""}`, ...plan.kernels.map((k, i) => kernelLine(graph, plan, k, i)), ""].join("\n");
}

function fusedText(file: string): string {
  const result = checkSource(readFileSync(join(ROOT, "dsl-examples", file), "utf8"), file);
  expect(result.diagnostics).toEqual([]);
  const checked = result.check!.graph;
  const model = result.check!.model ?? "model";
  const manifest = compileModel(checked, model, { batch: GOLDEN_BATCH, limits: DEFAULT_LIMITS });
  // What compileModel compiles: the graph with its row mask, so any batch up to GOLDEN_BATCH runs in these kernels.
  const masked = maskRows(checked);
  const forward = "graph" in masked ? masked.graph : checked;
  const shapes = batchShapes(forward, GOLDEN_BATCH);
  // The reads compileModel keeps (fusion keeps a read node as a kernel output, so they change the groups).
  const forwardKeep = namedReads(forward).filter((r) => !r.name?.startsWith("grad:")).map((r) => r.node);
  const sections = [
    `# ${file}: model ${model} at batch ${GOLDEN_BATCH}, WebGPU core limits.`,
    "# One line per kernel in dispatch order: its members (%id op, as the IR prints them); its anchor, the member whose",
    "# own kernel it is (any others are applied at each of its stores), or - when every member is elementwise; the",
    "# members it writes; the root's type and label.",
    "",
    programText("forward", forward, planProgram(forward, shapes, { limits: DEFAULT_LIMITS, training: false, keep: forwardKeep }), manifest.programs.forward),
  ];
  if (manifest.programs.train) {
    const step = programGraph(forward, "train");
    const plan = planProgram(step, shapes, { limits: DEFAULT_LIMITS, training: true, keep: [step.loss!] });
    sections.push(programText("train", step, plan, manifest.programs.train));
  }
  return sections.join("\n");
}

describe("fusion of the examples (golden text, refreshed with UPDATE_GOLDEN=1)", () => {
  it("has examples to check", () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const file of examples) {
    it(`groups ${file}'s forward program and training step into the expected kernels`, () => {
      expectGolden(join(goldenDir, file.replace(/\.dlg$/, ".fused")), fusedText(file));
    });
  }
});
