// Every primitive op, by name. A test checks this list against the files in compiler/ops/.
import type { OpDef } from "./define-op.js";
import { binaryOps } from "../ops/binary.js";
import { cast } from "../ops/cast.js";
import { concat } from "../ops/concat.js";
import { conv2d } from "../ops/conv2d.js";
import { dropout } from "../ops/dropout.js";
import { gather } from "../ops/gather.js";
import { matmul } from "../ops/matmul.js";
import { pick } from "../ops/pick.js";
import { avgPool2d, maxPool2d } from "../ops/pool2d.js";
import { reduceMax, reduceMean, reduceSum } from "../ops/reduce.js";
import { reshape } from "../ops/reshape.js";
import { slice } from "../ops/slice.js";
import { causalMask, constant, dimSize, input, param } from "../ops/sources.js";
import { transpose } from "../ops/transpose.js";
import { unaryOps } from "../ops/unary.js";

const all: readonly OpDef[] = [
  ...unaryOps, ...binaryOps, cast, concat, conv2d, dropout, gather, matmul, pick, avgPool2d, maxPool2d,
  reduceMax, reduceMean, reduceSum, reshape, slice, causalMask, constant, dimSize, input, param, transpose,
] as readonly OpDef[];

export const registry: ReadonlyMap<string, OpDef> = new Map(all.map((op) => [op.name, op]));

export function getOp(name: string): OpDef {
  const op = registry.get(name);
  if (!op) throw new Error(`internal: no primitive op named ${name}`);
  return op;
}
