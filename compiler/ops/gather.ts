// Row lookup: table [V, D] indexed by integer ids [...] -> [..., D] (embedding's forward), and its scatter-add gradient.
import { ExecutionError, type HostData } from "../ir/define-op.js";
import { defineOp } from "./define-op.js";
import type { Dim } from "../ir/types.js";
import { requireDtype, requireRank } from "./shape-rules.js";
import { countOf } from "../wgsl/indexing.js";
import { u32 } from "../wgsl/wgsl-values.js";
import type { NoAttrs } from "../ir/registry.js";

declare module "../ir/op-catalog.js" {
  interface OpCatalog {
    gather: NoAttrs;
    gather_grad: { shape: readonly Dim[] };
  }
}

const idMessage = (vocab: number) => `embedding: id {value} is outside the table's rows 0..${vocab - 1}`;

function checkId(id: number, vocab: number): number {
  if (!(id >= 0 && id < vocab)) throw new ExecutionError(`embedding: id ${id} is outside the table's rows 0..${vocab - 1}`);
  return id;
}

export const gather = defineOp({
  name: "gather",
  fusion: "injective",
  arity: 2,
  shape([table, ids]) {
    const err = requireRank("gather", table!, 2, "table [V, D]") ?? requireDtype("gather", ids!, "i32", "ids");
    if (err) return err;
    return { dtype: table!.dtype, shape: [...ids!.shape, table!.shape[1]!] };
  },
  reference([table, ids], _, ctx) {
    const [vocab, dim] = ctx.inputs[0]!.shape as [number, number];
    const out = ctx.alloc(ids!.length * dim);
    for (let i = 0; i < ids!.length; i++) {
      const row = checkId(ids![i]!, vocab) * dim;
      for (let d = 0; d < dim; d++) out[i * dim + d] = table![row + d]!;
    }
    return out;
  },
  wgsl: {
    kind: "kernel",
    emit(k) {
      const [vocab, dim] = k.inputs[0]!.shape as [number, number];
      k.perElement(countOf(k.output.shape), (w, i) => {
        w.line(`let id = ${k.input(1)}[${i} / ${u32(dim)}];`);
        k.check(w, `id >= 0i && id < ${vocab}i`, "id", idMessage(vocab));
        k.store(w, i, `${k.input(0)}[u32(clamp(id, 0i, ${vocab - 1}i)) * ${u32(dim)} + ${i} % ${u32(dim)}]`);
      });
    },
  },
  vjp: (ctx) => [ctx.needs(0) ? ctx.op("gather_grad", [ctx.inputs[1]!, ctx.grad], { shape: ctx.inputs[0]!.type.shape }) : undefined, undefined],
});

/** Adds each row of the gradient into the table row its id selected; repeated ids accumulate. */
export const gatherGrad = defineOp({
  name: "gather_grad",
  fusion: "opaque",
  arity: 2,
  shape: ([, g], { shape }) => ({ dtype: g!.dtype, shape }),
  reference([ids, g], _, ctx): HostData {
    const [vocab, dim] = ctx.output.shape as [number, number];
    const out = ctx.alloc(vocab * dim);
    for (let i = 0; i < ids!.length; i++) {
      const row = checkId(ids![i]!, vocab) * dim;
      for (let d = 0; d < dim; d++) out[row + d]! += g![i * dim + d]!;
    }
    return out;
  },
  // A gather instead of the reference's scatter: each table entry sums the gradient rows whose id selects it, in id
  // order (the reference's order), so repeated ids need no atomics. Invocation 0 checks every id.
  wgsl: {
    kind: "kernel",
    emit(k) {
      const [vocab, dim] = k.output.shape as [number, number];
      const n = countOf(k.inputs[0]!.shape);
      k.perElement(vocab * dim, (w, i) => {
        w.line(`let row = i32(${i} / ${u32(dim)});`);
        w.line(`let d = ${i} % ${u32(dim)};`);
        w.line("var acc = 0.0;");
        w.block(`for (var j = 0u; j < ${k.loopBound(n)}; j++)`, () => {
          w.line(`let id = ${k.input(0)}[j];`);
          w.block(`if (${i} == 0u)`, () => k.check(w, `id >= 0i && id < ${vocab}i`, "id", idMessage(vocab)));
          w.line(`if (id == row) { acc = acc + ${k.input(1)}[j * ${u32(dim)} + d]; }`);
        });
        k.store(w, i, `acc`);
      });
    },
  },
});
