// Every primitive op, by name: the table the IR's registry is filled from and the code generator reads emitters from.
// A test checks it against the files in compiler/ops/; the compiler checks it against OpCatalog.
import { registerOps, type OpName } from "../ir/registry.js";
import { add, div, equal, greater, maximum, minimum, mul, pow, sub } from "./binary.js";
import { broadcastTo } from "./broadcast-to.js";
import { cast } from "./cast.js";
import { concat } from "./concat.js";
import { conv2d, conv2dGradInput, conv2dGradKernel } from "./conv2d.js";
import type { OpDef, OpDefOf } from "./define-op.js";
import { dropoutMask } from "./dropout.js";
import { gather, gatherGrad } from "./gather.js";
import { matmul } from "./matmul.js";
import { pick, pickGrad } from "./pick.js";
import { avgPool2d, avgPool2dGrad, maxPool2d, maxPool2dGrad } from "./pool2d.js";
import { recurrence } from "./recurrence.js";
import { reduceMax, reduceMean, reduceSum } from "./reduce.js";
import { reshape } from "./reshape.js";
import { padAxis, slice } from "./slice.js";
import { causalMask, constant, dimSize, input, param, state } from "./sources.js";
import { stopGradient } from "./stop-gradient.js";
import { transpose } from "./transpose.js";
import { abs, erfOp, exp, leakyRelu, log, neg, relu, rsqrt, sigmoid, sqrt, square, tanh } from "./unary.js";

// Exactly the ops of OpCatalog, each under its own name: an op declared but not defined here, an extra entry, or a
// definition filed under another op's name does not compile.
const table = {
  neg, relu, leaky_relu: leakyRelu, exp, log, sqrt, rsqrt, abs, tanh, sigmoid, erf: erfOp, square,
  add, sub, mul, div, maximum, minimum, pow, greater, equal,
  broadcast_to: broadcastTo, cast, concat, conv2d, conv2d_grad_input: conv2dGradInput, conv2d_grad_kernel: conv2dGradKernel,
  dropout_mask: dropoutMask, gather, gather_grad: gatherGrad, matmul, pick, pick_grad: pickGrad, avg_pool2d: avgPool2d,
  avg_pool2d_grad: avgPool2dGrad, max_pool2d: maxPool2d, max_pool2d_grad: maxPool2dGrad, reduce_max: reduceMax,
  recurrence, reduce_mean: reduceMean, reduce_sum: reduceSum, reshape, slice, pad_axis: padAxis, causal_mask: causalMask, constant,
  dim_size: dimSize, input, param, state, stop_gradient: stopGradient, transpose,
} satisfies { [N in OpName]: OpDefOf<N> };

/** Every op with its emitter, by name. */
export const ops: ReadonlyMap<OpName, OpDef> = new Map(Object.entries(table) as [OpName, OpDef][]);

registerOps(table);

export function opDef(name: OpName): OpDef {
  const op = ops.get(name);
  if (!op) throw new Error(`internal: no primitive op named ${name}`);
  return op;
}

export type { OpDef, OpDefOf };
export { defineOp } from "./define-op.js";
