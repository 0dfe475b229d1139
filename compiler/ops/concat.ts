// Concatenation along one (normalized) axis; every other dim must agree.
import { shapeError } from "../ir/define-op.js";
import { defineOp } from "./define-op.js";
import { formatType } from "../ir/types.js";
import { Dim } from "../ir/types.js";
import { copyAlongAxis, sizeOf, splitAt } from "../ir/host.js";
import { requireSameDtype } from "./shape-rules.js";
import { alongAxis, atAxis } from "../wgsl/indexing.js";
import { u32 } from "../wgsl/wgsl-values.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    concat: { axis: number };
  }
}

export const concat = defineOp({
  name: "concat",
  fusion: "injective",
  arity: "variadic",
  shape(inputs, { axis }) {
    const first = inputs[0]!;
    const rank = first.shape.length;
    if (axis < 0 || axis >= rank) return shapeError("axisRange", { op: "concat", axis, rank });
    let size = first.shape[axis]!;
    for (let i = 1; i < inputs.length; i++) {
      const t = inputs[i]!;
      const dtypeErr = requireSameDtype("concat", first, t);
      if (dtypeErr) return dtypeErr;
      if (t.shape.length !== rank)
        return shapeError("concatMismatch", { axis, index: i, detail: `rank ${t.shape.length} vs ${rank}` }, `input 0 is ${formatType(first)}, input ${i} is ${formatType(t)}`);
      for (let d = 0; d < rank; d++) {
        if (d !== axis && !t.shape[d]!.equals(first.shape[d]!))
          return shapeError("concatMismatch", { axis, index: i, detail: `dim ${d}: ${first.shape[d]} vs ${t.shape[d]}` }, `input 0 is ${formatType(first)}, input ${i} is ${formatType(t)}`);
      }
      size = size.add(t.shape[axis]!);
    }
    return { dtype: first.dtype, shape: first.shape.map((d, i) => (i === axis ? size : d)) };
  },
  reference(inputs, { axis }, ctx) {
    const out = ctx.alloc(sizeOf(ctx.output.shape));
    const { outer, inner } = splitAt(ctx.output.shape, axis);
    let at = 0;
    inputs.forEach((x, i) => {
      const len = ctx.inputs[i]!.shape[axis]!;
      copyAlongAxis(x, len, 0, out, ctx.output.shape[axis]!, at, len, outer, inner);
      at += len;
    });
    return out;
  },
  // One input binding per operand: the storage-buffer limit per stage bounds how many (checked when emitting).
  wgsl: {
    kind: "kernel",
    emit(k, { axis }) {
      const { outer, inner } = splitAt(k.output.shape, axis);
      const total = k.output.shape[axis]!;
      k.perElement(outer * total * inner, (w, i) => {
        const { o, a, r } = alongAxis(w, i, total, inner);
        let at = 0;
        k.inputs.forEach((t, j) => {
          const len = t.shape[axis]!;
          const read = `${k.out}[${i}] = ${k.input(j)}[${atAxis(o, at === 0 ? a : `${a} - ${u32(at)}`, r, len, inner)}];`;
          if (j === k.inputs.length - 1) w.line(read);
          else w.block(`if (${a} < ${u32(at + len)})`, () => w.line(read).line("return;"));
          at += len;
        });
      });
    },
  },
  vjp(ctx, { axis }) {
    let start = Dim.const(0);
    return ctx.inputs.map((x, i) => {
      const end = start.add(x.type.shape[axis]!);
      const g = ctx.needs(i) ? ctx.op("slice", [ctx.grad], { axis, start, end }) : undefined;
      start = end;
      return g;
    });
  },
});
