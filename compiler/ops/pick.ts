// Picks one entry of the last axis per row: x [..., C] and integer indices [...] -> [...] (cross-entropy's selection).
import { ExecutionError, shapeError } from "../ir/define-op.js";
import { defineOp } from "./define-op.js";
import type { Dim } from "../ir/types.js";
import { formatType } from "../ir/types.js";
import { requireDtype } from "./shape-rules.js";
import { countOf } from "../wgsl/indexing.js";
import { u32 } from "../wgsl/wgsl-values.js";
import type { NoAttrs } from "../ir/registry.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    pick: NoAttrs;
    pick_grad: { classes: Dim };
  }
}

const labelMessage = (classes: number) => `cross_entropy: label {value} is outside the classes 0..${classes - 1}`;

export const pick = defineOp({
  name: "pick",
  fusion: "injective",
  arity: 2,
  shape([x, index]) {
    const err = requireDtype("pick", index!, "i32", "indices");
    if (err) return err;
    const lead = x!.shape.slice(0, -1);
    const ok = x!.shape.length >= 1 && index!.shape.length === lead.length && lead.every((d, i) => d.equals(index!.shape[i]!));
    if (!ok) return shapeError("labelShape", { logits: formatType(x!), labels: formatType(index!) });
    return { dtype: x!.dtype, shape: lead };
  },
  reference([x, index], _, ctx) {
    const classes = ctx.inputs[0]!.shape[ctx.inputs[0]!.shape.length - 1]!;
    const out = ctx.alloc(index!.length);
    for (let i = 0; i < index!.length; i++) out[i] = x![i * classes + checkClass(index![i]!, classes)]!;
    return out;
  },
  wgsl: {
    kind: "kernel",
    emit(k) {
      const classes = k.inputs[0]!.shape[k.inputs[0]!.shape.length - 1]!;
      k.perElement(countOf(k.output.shape), (w, i) => {
        w.line(`let label = ${k.input(1)}[${i}];`);
        k.check(w, `label >= 0i && label < ${classes}i`, "label", labelMessage(classes));
        k.store(w, i, `${k.input(0)}[${i} * ${u32(classes)} + u32(clamp(label, 0i, ${classes - 1}i))]`);
      });
    },
  },
  vjp: (ctx) => [ctx.op("pick_grad", [ctx.grad, ctx.inputs[1]!], { classes: ctx.inputs[0]!.type.shape[ctx.inputs[0]!.type.shape.length - 1]! }), undefined],
});

function checkClass(label: number, classes: number): number {
  if (!(label >= 0 && label < classes)) throw new ExecutionError(`cross_entropy: label ${label} is outside the classes 0..${classes - 1}`);
  return label;
}

/** Places each gradient at its picked class, zeros elsewhere: [...] and indices [...] -> [..., classes]. */
export const pickGrad = defineOp({
  name: "pick_grad",
  fusion: "injective",
  arity: 2,
  shape: ([g], { classes }) => ({ dtype: g!.dtype, shape: [...g!.shape, classes] }),
  reference([g, index], _, ctx) {
    const classes = ctx.output.shape[ctx.output.shape.length - 1]!;
    const out = ctx.alloc(index!.length * classes);
    for (let i = 0; i < index!.length; i++) out[i * classes + checkClass(index![i]!, classes)] = g![i]!;
    return out;
  },
  wgsl: {
    kind: "kernel",
    emit(k) {
      const classes = k.output.shape[k.output.shape.length - 1]!;
      k.perElement(countOf(k.output.shape), (w, i) => {
        w.line(`let row = ${i} / ${u32(classes)};`);
        w.line(`let label = ${k.input(1)}[row];`);
        w.block(`if (${i} % ${u32(classes)} == 0u)`, () => k.check(w, `label >= 0i && label < ${classes}i`, "label", labelMessage(classes)));
        k.store(w, i, `select(${k.lit(0)}, ${k.input(0)}[row], label == i32(${i} % ${u32(classes)}))`);
      });
    },
  },
});
