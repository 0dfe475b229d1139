// Every primitive op, by name: the table the IR's registry is filled from and the code generator reads emitters from.
// A test checks it against the files in compiler/ops/.
import { registerOps } from "../ir/registry.js";
import { binaryOps } from "./binary.js";
import { broadcastTo } from "./broadcast-to.js";
import { cast } from "./cast.js";
import { concat } from "./concat.js";
import { conv2d, conv2dGradInput, conv2dGradKernel } from "./conv2d.js";
import type { OpDef } from "./define-op.js";
import { dropoutMask } from "./dropout.js";
import { gather, gatherGrad } from "./gather.js";
import { matmul } from "./matmul.js";
import { pick, pickGrad } from "./pick.js";
import { avgPool2d, avgPool2dGrad, maxPool2d, maxPool2dGrad } from "./pool2d.js";
import { reduceMax, reduceMean, reduceSum } from "./reduce.js";
import { reshape } from "./reshape.js";
import { padAxis, slice } from "./slice.js";
import { causalMask, constant, dimSize, input, param, state } from "./sources.js";
import { transpose } from "./transpose.js";
import { unaryOps } from "./unary.js";

const all = [
  ...unaryOps, ...binaryOps, broadcastTo, cast, concat, conv2d, conv2dGradInput, conv2dGradKernel, dropoutMask, gather, gatherGrad,
  matmul, pick, pickGrad, avgPool2d, avgPool2dGrad, maxPool2d, maxPool2dGrad, reduceMax, reduceMean, reduceSum, reshape, slice,
  padAxis, causalMask, constant, dimSize, input, param, state, transpose,
] as readonly OpDef[];

/** Every op with its emitter, by name. */
export const ops: ReadonlyMap<string, OpDef> = new Map(all.map((op) => [op.name, op]));

registerOps(Object.fromEntries(ops));

export function opDef(name: string): OpDef {
  const op = ops.get(name);
  if (!op) throw new Error(`internal: no primitive op named ${name}`);
  return op;
}

export type { OpDef };
export { defineOp } from "./define-op.js";
