// `dlg graph FILE [--backward] [--fused] [--format dot|mermaid|svg]`: the program's graph of primitive ops, its
// kernels coloured by fusion group with --fused; SVG is laid out in-process by Graphviz compiled to WebAssembly
// (@viz-js/viz), so no system Graphviz is needed.
import { batchShapes, DEFAULT_LIMITS, planProgram, programGraph } from "../compiler/index.js";
import type { Graph } from "../compiler/ir/graph.js";
import { kernelGroup, renderGraph, type KernelGroup } from "../compiler/ir/render.js";
import { graphviz } from "./graphviz.js";
import { UsageError, type CliIO } from "./io.js";
import { writeOutputFile } from "./output-paths.js";

export type GraphOutputFormat = "dot" | "mermaid" | "svg";

export interface GraphFlags {
  format: GraphOutputFormat;
  backward: boolean;
  /** Group nodes by the kernels of the program compiled for this batch size. */
  fusedBatch?: number;
  out?: string;
}

/** The kernels of `graph` compiled at a batch size, as the groups the picture draws. */
function kernelGroups(graph: Graph, batch: number, training: boolean): KernelGroup[] {
  const plan = planProgram(graph, batchShapes(graph, batch), { limits: DEFAULT_LIMITS, training });
  return plan.kernels.map((k) => kernelGroup(graph, k.nodes));
}

export async function graphCommand(forward: Graph, model: string, flags: GraphFlags, io: CliIO): Promise<number> {
  if (flags.backward && forward.loss === undefined) throw new UsageError(`graph: --backward needs a loss, and model ${model} has no \`train\` statement`);
  const graph = flags.backward ? programGraph(forward, "backward") : forward;
  const kernels = flags.fusedBatch !== undefined ? kernelGroups(graph, flags.fusedBatch, false) : undefined;
  const text = renderGraph(graph, model, flags.format === "mermaid" ? "mermaid" : "dot", kernels ? { kernels } : {});
  const output = flags.format === "svg" ? (await graphviz())(text) : text;
  if (flags.out === undefined) {
    io.stdout(output);
    return 0;
  }
  await writeOutputFile(flags.out, output);
  io.stderr(`wrote the ${flags.backward ? "forward and backward" : "forward"} graph of ${model} (${graph.nodes.length} nodes${kernels ? `, ${kernels.length} kernels` : ""}) to ${flags.out}\n`);
  return 0;
}
