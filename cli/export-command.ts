// `dlg export FILE --weights W --format onnx -o model.onnx`: the model for other engines. ONNX carries the inference
// graph (evaluation mode) with the weights as initializers and the batch dim symbolic.
import type { Graph } from "../compiler/ir/graph.js";
import { exportTorch } from "../compiler/export/torch.js";
import { basename } from "node:path";
import { exportOnnx, ExportError, ONNX_OPSET, type ExportTensor } from "../compiler/export/onnx.js";
import { UsageError, type CliIO } from "./io.js";
import { checkOutputFile, writeOutputFile } from "./output-paths.js";
import { modelWeights } from "./train-commands.js";

export type ExportFormat = "onnx" | "torch";

export interface ExportFlags {
  format: ExportFormat;
  source: string;
  weights?: string;
  out: string;
}

export async function exportCommand(graph: Graph, model: string, flags: ExportFlags, io: CliIO): Promise<number> {
  if (flags.format === "torch") return exportTorchFile(graph, model, flags, io);
  if (flags.weights === undefined) throw new UsageError("export: --format onnx needs --weights W (the initializers)");
  checkOutputFile("-o", flags.out, [{ path: flags.source, role: "the model source" }, { path: flags.weights, role: "the --weights checkpoint" }]);
  const weights = await modelWeights(graph, flags.weights);
  let bytes: Uint8Array;
  try {
    bytes = exportOnnx(graph, model, weights as ReadonlyMap<string, ExportTensor>);
  } catch (e) {
    if (e instanceof ExportError) {
      io.stderr(`dlg: cannot export ${model} to ONNX: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  await writeOutputFile(flags.out, bytes);
  io.stderr(`wrote ${model} as ONNX (opset ${ONNX_OPSET}, ${graph.outputs.map((o) => o.name).join(", ")}; ${(bytes.length / 2 ** 20).toFixed(2)} MiB) to ${flags.out}\n`);
  return 0;
}

async function exportTorchFile(graph: Graph, model: string, flags: ExportFlags, io: CliIO): Promise<number> {
  if (flags.weights !== undefined) throw new UsageError("export: --format torch writes the model, not its weights; the file loads a checkpoint itself (--weights W when it runs)");
  checkOutputFile("-o", flags.out, [{ path: flags.source, role: "the model source" }]);
  let text: string;
  try {
    text = exportTorch(graph, model, basename(flags.source));
  } catch (e) {
    if (e instanceof ExportError) {
      io.stderr(`dlg: cannot export ${model} to PyTorch: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  await writeOutputFile(flags.out, text);
  io.stderr(`wrote ${model} as a PyTorch module and script to ${flags.out} (python3 ${basename(flags.out)} --help)\n`);
  return 0;
}
