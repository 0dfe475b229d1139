// The IR builder: appends typed primitive nodes to a graph, each checked by its op's shape rule as it is added.
import type { Span } from "../diagnostics/span.js";
import { isShapeError, shapeError, type Attrs, type ShapeError } from "./define-op.js";
import { formatShape } from "./dims.js";
import { emptyGraph, type Graph } from "./graph.js";
import { getOp, type OpAttrsArg, type OpName } from "./registry.js";
import { formatType, type DType, type TensorType } from "./types.js";
import type { TensorValue } from "./value.js";

/** Thrown by lowering helpers and layers to abort one call with one diagnostic; the checker catches it. */
export class ShapeFailure extends Error {
  constructor(readonly error: ShapeError, readonly span?: Span) {
    super(error.key);
  }
}

export interface InitSpec {
  name: string;
  args: readonly number[];
}

export class IRBuilder {
  /** Appends to `graph` (a fresh one by default); later phases extend a copy of the forward graph. */
  constructor(readonly graph: Graph = emptyGraph()) {}

  /** Appends op `name`; `span` and `label` (after the attributes, `{}` where the op has none) go on the node. */
  op<N extends OpName>(name: N, inputs: readonly TensorValue[], ...args: OpAttrsArg<N, [span?: Span, label?: string]>): TensorValue {
    const [attrs = {}, span, label]: [Attrs?, Span?, string?] = args;
    const type = getOp(name).shape(inputs.map((i) => i.type), attrs);
    if (isShapeError(type)) throw new ShapeFailure(type);
    for (const d of type.shape) {
      const v = d.constValue();
      if (v !== undefined && v <= 0) throw new ShapeFailure(shapeError("negativeDim", { dim: d.toString() }, `${name} would produce ${formatType(type)}`));
      // Products of large dims (flatten, reshape) can pass 2^53, where numbers stop being exact integers.
      if (!d.isExact()) throw new ShapeFailure(shapeError("badValue", { what: `${name}: a dim of the result`, value: "too large to be exact", expected: "an integer below 2^53" }));
    }
    const id = this.graph.nodes.length;
    const node = { id, op: name, inputs: inputs.map((i) => i.node), attrs, type, ...(span ? { span } : {}), ...(label ? { label } : {}) };
    this.graph.nodes.push(node);
    return { kind: "tensor", type, node: id };
  }

  /**
   * `op` for a call another op interface received (a layer's or a gradient rule's `op`, already typed there), with
   * the attrs as it got them: `{}` fills in where it got none, so that `span` lands in its own place.
   */
  relayOp<N extends OpName>(name: N, inputs: readonly TensorValue[], attrs: OpAttrsArg<N>, span: Span | undefined): TensorValue {
    return this.op(name, inputs, ...([attrs[0] ?? {}, span] as OpAttrsArg<N, [span?: Span]>));
  }

  input(name: string, type: TensorType, span: Span): TensorValue {
    const v = this.op("input", [], { name, dtype: type.dtype, shape: type.shape }, span, name);
    this.graph.inputs.push({ name, node: v.node, type });
    return v;
  }

  param(name: string, type: TensorType, init: InitSpec, span: Span): TensorValue {
    if (type.shape.some((d) => !d.isConst()))
      throw new ShapeFailure(shapeError("symbolicParam", { param: name, shape: formatShape(type.shape) }, undefined,
        "give the dims of the inputs this parameter depends on as numbers or hyperparameters"));
    const v = this.op("param", [], { name, dtype: type.dtype, shape: type.shape, init: init.name, initArgs: init.args }, span, name);
    this.graph.params.push({ name, node: v.node, type, init: init.name, initArgs: init.args });
    return v;
  }

  /** Names a node after the binding that holds it, unless it already has a name (an input, or an earlier binding). */
  labelNode(id: number, label: string): void {
    const node = this.graph.nodes[id];
    if (node && node.label === undefined) node.label = label;
  }

  constant(value: number, dtype: DType = "f32"): TensorValue {
    return this.op("constant", [], { value, dtype });
  }
}
