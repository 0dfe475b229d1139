// Every primitive op, by name. A test checks this list against the files in compiler/ops/.
import type { OpDef } from "./define-op.js";
import { binaryOps } from "../ops/binary.js";
import { broadcastTo } from "../ops/broadcast-to.js";
import { cast } from "../ops/cast.js";
import { concat } from "../ops/concat.js";
import { conv2d, conv2dGradInput, conv2dGradKernel } from "../ops/conv2d.js";
import { dropoutMask } from "../ops/dropout.js";
import { gather, gatherGrad } from "../ops/gather.js";
import { matmul } from "../ops/matmul.js";
import { pick, pickGrad } from "../ops/pick.js";
import { avgPool2d, avgPool2dGrad, maxPool2d, maxPool2dGrad } from "../ops/pool2d.js";
import { reduceMax, reduceMean, reduceSum } from "../ops/reduce.js";
import { reshape } from "../ops/reshape.js";
import { padAxis, slice } from "../ops/slice.js";
import { causalMask, constant, dimSize, input, param, state } from "../ops/sources.js";
import { transpose } from "../ops/transpose.js";
import { unaryOps } from "../ops/unary.js";

const all = [
  ...unaryOps, ...binaryOps, broadcastTo, cast, concat, conv2d, conv2dGradInput, conv2dGradKernel, dropoutMask, gather, gatherGrad,
  matmul, pick, pickGrad, avgPool2d, avgPool2dGrad, maxPool2d, maxPool2dGrad, reduceMax, reduceMean, reduceSum, reshape, slice,
  padAxis, causalMask, constant, dimSize, input, param, state, transpose,
] as readonly OpDef[];

export const registry: ReadonlyMap<string, OpDef> = new Map(all.map((op) => [op.name, op]));

export function getOp(name: string): OpDef {
  const op = registry.get(name);
  if (!op) throw new Error(`internal: no primitive op named ${name}`);
  return op;
}
