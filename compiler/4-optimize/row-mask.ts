// Programs for any batch up to a maximum: the graph is compiled at the maximum B, and a batch of n <= B runs in the
// same kernels with its rows first and zero rows after. Rows never mix except where an op sums, averages or
// contracts over a batch-dependent axis, so only those see the padding: this pass multiplies their operand by a
// row mask (1 for the n real rows, 0 after) and divides means by the real count (a run-time input). Everything
// downstream is exact for the n rows, the backward pass included: the loss's gradient is zero on padded rows, so
// weight gradients (contractions over rows) and bias gradients (sums over rows) add nothing for them.
//
// Two inputs are added: ROW_MASK f32[N] and ROW_COUNT f32[] (n). A graph whose layout would scatter the real rows
// (a concat, slice or pad along a batch axis, a reshape that moves the batch from the front, a max over rows) is
// left as it is, with the reason: it compiles for its exact batch only.
import { IRBuilder } from "../ir/builder.js";
import { Dim } from "../ir/dims.js";
import type { Graph, IRNode, NodeId } from "../ir/graph.js";
import type { OpAttrs, OpName } from "../ir/registry.js";
import type { TensorValue } from "../ir/value.js";

export const ROW_MASK = "__row_mask";
export const ROW_COUNT = "__row_count";

export type RowMaskResult = { graph: Graph; symbol: string } | { reason: string };

/** The batch symbol: the one symbol leading the inputs' shapes (`N`), when there is exactly one. */
export function batchSymbol(graph: Graph): string | undefined {
  const symbols = new Set<string>();
  for (const input of graph.inputs) {
    const lead = input.type.shape[0];
    if (lead && !lead.isConst() && lead.symbols().size === 1) {
      const [sym] = lead.symbols();
      if (lead.equals(Dim.sym(sym!))) symbols.add(sym!);
    }
  }
  return symbols.size === 1 ? [...symbols][0] : undefined;
}

class Unmaskable extends Error {}

export function maskRows(graph: Graph): RowMaskResult {
  const symbol = batchSymbol(graph);
  if (symbol === undefined) return { reason: "the inputs do not share one leading batch dim" };
  try {
    return { graph: rewrite(graph, symbol), symbol };
  } catch (e) {
    if (e instanceof Unmaskable) return { reason: e.message };
    throw e;
  }
}

function rewrite(graph: Graph, symbol: string): Graph {
  const out: Graph = { nodes: [], inputs: [], params: [], outputs: [] };
  const b = new IRBuilder(out);
  const map = new Map<NodeId, TensorValue>();
  const involves = (d: Dim) => d.symbols().has(symbol);
  const batchAxes = (node: IRNode | TensorValue) => node.type.shape.flatMap((d, i) => (involves(d) ? [i] : []));
  const what = (n: IRNode) => `${n.op} %${n.id}${n.label ? ` (${n.label})` : ""}`;

  // The mask and count inputs come first, so every node that needs them can use them.
  const N = Dim.sym(symbol);
  const maskSpan = { start: 0, end: 0 };
  const mask = b.input(ROW_MASK, { dtype: "f32", shape: [N] }, maskSpan);
  const count = b.input(ROW_COUNT, { dtype: "f32", shape: [] }, maskSpan);

  /** A dim as an f32 scalar, with the batch symbol read as the real row count. */
  const dimValue = (d: Dim, n: IRNode): TensorValue => {
    const c = d.constValue();
    if (c !== undefined) return b.constant(c);
    const affine = d.affine();
    if (affine?.symbol !== symbol) throw new Unmaskable(`${what(n)}: the size ${d} is not a multiple of the batch plus a constant`);
    let v = affine.coef === 1 ? count : b.op("mul", [count, b.constant(affine.coef)]);
    if (affine.rest !== 0) v = b.op("add", [v, b.constant(affine.rest)]);
    return v;
  };

  /** `x` with the padded rows along `axis` zeroed: the mask repeated per row of a*N, broadcast along that axis. */
  const masked = (x: TensorValue, axis: number, n: IRNode): TensorValue => {
    const d = x.type.shape[axis]!;
    const affine = d.affine();
    if (affine?.symbol !== symbol || affine.rest !== 0 || !Number.isInteger(affine.coef) || affine.coef < 1)
      throw new Unmaskable(`${what(n)}: the batch axis has size ${d}, not a multiple of ${symbol}`);
    let m = mask;
    if (affine.coef > 1) {
      const k = Dim.const(affine.coef);
      m = b.op("reshape", [b.op("broadcast_to", [b.op("reshape", [mask], { shape: [N, Dim.const(1)] })], { shape: [N, k] })], { shape: [d] });
    }
    const trailing = x.type.shape.length - 1 - axis;
    if (trailing > 0) m = b.op("reshape", [m], { shape: [d, ...new Array<Dim>(trailing).fill(Dim.const(1))] });
    return b.op("mul", [x, m]);
  };

  const copy = (n: IRNode, inputs: TensorValue[]): TensorValue => {
    if (n.op === "input") return b.input(String(n.attrs["name"]), n.type, n.span ?? maskSpan);
    const v = b.op(n.op as OpName, inputs, ...([n.attrs, n.span, n.label] as never[]));
    return v;
  };

  for (const n of graph.nodes) {
    const x = n.inputs.map((i) => map.get(i)!);
    let v: TensorValue;
    switch (n.op) {
      case "reduce_sum":
      case "reduce_mean":
      case "reduce_max": {
        const { axes, keepdims } = n.attrs as OpAttrs<"reduce_sum">;
        const rowAxes = axes.filter((a) => involves(x[0]!.type.shape[a]!));
        if (rowAxes.length === 0) {
          v = copy(n, x);
          break;
        }
        if (n.op === "reduce_max") throw new Unmaskable(`${what(n)}: a maximum over the batch`);
        if (rowAxes.length > 1) throw new Unmaskable(`${what(n)}: reduces over several batch axes`);
        const sum = b.op("reduce_sum", [masked(x[0]!, rowAxes[0]!, n)], { axes, keepdims }, n.span, n.op === "reduce_sum" ? n.label : undefined);
        if (n.op === "reduce_sum") {
          v = sum;
          break;
        }
        let divisor = dimValue(x[0]!.type.shape[axes[0]!]!, n);
        for (const a of axes.slice(1)) divisor = b.op("mul", [divisor, dimValue(x[0]!.type.shape[a]!, n)]);
        v = b.op("div", [sum, divisor], {}, n.span, n.label);
        break;
      }
      case "matmul": {
        const [l, r] = x as [TensorValue, TensorValue];
        const attrs = n.attrs as OpAttrs<"matmul">;
        // The contracted axis of the left operand as stored: its last, or its second to last when it is transposed.
        const inner = l.type.shape.length - (attrs.transposeA ? 2 : 1);
        v = involves(l.type.shape[inner]!) ? b.op("matmul", [masked(l, inner, n), r], attrs, n.span, n.label) : copy(n, x);
        break;
      }
      case "dim_size": {
        const d = (n.attrs as OpAttrs<"dim_size">).dim;
        v = involves(d) ? dimValue(d, n) : copy(n, x);
        if (involves(d) && n.type.dtype !== "f32") v = b.op("cast", [v], { dtype: n.type.dtype });
        break;
      }
      case "concat":
      case "slice":
      case "pad_axis": {
        const axis = Number((n.attrs as { axis: number }).axis);
        if (involves(n.type.shape[axis]!)) throw new Unmaskable(`${what(n)}: along a batch axis`);
        v = copy(n, x);
        break;
      }
      case "reshape": {
        const before = batchAxes(x[0]!);
        const after = batchAxes(n);
        // Row-major with the batch leading on both sides keeps the real rows a prefix of the elements.
        if (before.length > 0 && !(before.length === 1 && before[0] === 0 && after.length === 1 && after[0] === 0))
          throw new Unmaskable(`${what(n)}: moves the batch dim from the front`);
        v = copy(n, x);
        break;
      }
      case "recurrence":
        throw new Unmaskable(`${what(n)}: an unbound recurrence`);
      default:
        v = copy(n, x);
    }
    map.set(n.id, v);
  }

  // The model's own inputs first, as the graph listed them.
  out.inputs = [...out.inputs.slice(2), ...out.inputs.slice(0, 2)];
  const node = (id: NodeId) => map.get(id)!.node;
  out.params = graph.params.map((p) => ({ ...p, node: node(p.node) }));
  out.outputs = graph.outputs.map((o) => ({ ...o, node: node(o.node) }));
  if (graph.loss !== undefined) out.loss = node(graph.loss);
  if (graph.classifier) out.classifier = graph.classifier;
  if (graph.labelInputs) out.labelInputs = graph.labelInputs;
  if (graph.optimizer) out.optimizer = graph.optimizer;
  if (graph.mode) out.mode = graph.mode;
  if (graph.buffers) out.buffers = graph.buffers.map((buf) => ({ ...buf, node: node(buf.node), ...(buf.update !== undefined ? { update: node(buf.update) } : {}) }));
  if (graph.training) out.training = rewrite(graph.training, symbol);
  return out;
}
