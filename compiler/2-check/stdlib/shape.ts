// Shape built-ins: reshape (with one inferred -1), flatten, transpose, concat, slice.
import { product } from "../../ir/dims.js";
import { Dim, formatType } from "../../ir/types.js";
import { zerosOf } from "./recurrent.js";
import { axisOf, defineBuiltin, int, tensor, type BuiltinDef } from "./define-layer.js";

export const shapeBuiltins: BuiltinDef[] = [
  defineBuiltin({
    name: "zeros",
    params: [{ name: "shape", kind: "ints" }],
    summary: "an f32 tensor of zeros (a recurrence's initial state: zeros([N, 64]))",
    apply(ctx, args) {
      const shape = args.dims("shape");
      const bad = shape.find((d) => (d.constValue() ?? 1) < 1);
      if (bad) ctx.fail({ key: "negativeDim", params: { dim: bad.toString() } }, args.spanOf("shape"));
      return zerosOf(ctx, { dtype: "f32", shape });
    },
  }),
  defineBuiltin({
    name: "reshape",
    params: [tensor("x"), { name: "shape", kind: "ints" }],
    summary: "same elements, new shape; one dim may be -1 (inferred)",
    apply(ctx, args) {
      const x = args.tensor("x");
      const dims = args.dims("shape");
      const holes = dims.filter((d) => d.constValue() === -1).length;
      if (holes > 1) ctx.fail({ key: "badValue", params: { what: "reshape: shape", value: `[${dims.join(", ")}]`, expected: "at most one -1" } }, args.spanOf("shape"));
      let shape = dims;
      if (holes === 1) {
        const known = product(dims.filter((d) => d.constValue() !== -1));
        const inferred = known.isZero() ? undefined : product(x.type.shape).divExact(known);
        if (!inferred)
          ctx.fail({ key: "reshapeCount", params: { from: formatType(x.type), to: `[${dims.join(", ")}]` }, label: `${product(x.type.shape)} elements are not a multiple of ${known}` }, args.spanOf("shape"));
        shape = dims.map((d) => (d.constValue() === -1 ? inferred! : d));
      }
      const [from, to] = [product(x.type.shape), product(shape)];
      if (!from.equals(to))
        ctx.fail({ key: "reshapeCount", params: { from: formatType(x.type), to: formatType({ dtype: x.type.dtype, shape }) }, label: `${from} elements vs ${to}` }, args.spanOf("shape"));
      return ctx.op("reshape", [x], { shape });
    },
  }),
  defineBuiltin({
    name: "flatten",
    params: [tensor("x")],
    summary: "keeps dim 0 and flattens the rest",
    apply(ctx, args) {
      const x = args.tensor("x");
      if (x.type.shape.length === 0) ctx.fail({ key: "rankMismatch", params: { op: "flatten", expected: "a tensor of rank 1 or more", actual: formatType(x.type) } });
      return ctx.op("reshape", [x], { shape: [x.type.shape[0]!, product(x.type.shape.slice(1))] });
    },
  }),
  defineBuiltin({
    name: "transpose",
    params: [tensor("x"), { name: "perm", kind: "ints", default: null }],
    summary: "permutes axes (reverses them when no perm is given)",
    apply(ctx, args) {
      const x = args.tensor("x");
      const rank = x.type.shape.length;
      const perm = args.has("perm") ? args.ints("perm").map((p) => (p < 0 ? p + rank : p)) : [...Array(rank).keys()].reverse();
      return ctx.op("transpose", [x], { perm });
    },
  }),
  defineBuiltin({
    name: "concat",
    params: [{ name: "xs", kind: "tensors" }, int("axis", 0)],
    summary: "joins tensors along an axis",
    apply(ctx, args) {
      const xs = args.tensors("xs");
      const axis = axisOf(ctx, args.int("axis"), xs[0]!, args.spanOf("axis"), "input 0");
      return ctx.op("concat", xs, { axis });
    },
  }),
  defineBuiltin({
    name: "slice",
    params: [tensor("x"), int("axis"), int("start"), int("end")],
    summary: "the range start..end of one axis (negative bounds count from the end)",
    apply(ctx, args) {
      const x = args.tensor("x");
      const axis = axisOf(ctx, args.int("axis"), x, args.spanOf("axis"));
      const size = x.type.shape[axis]!;
      const bound = (name: string) => {
        const d = args.dim(name);
        const v = d.constValue();
        return v !== undefined && v < 0 ? size.add(Dim.const(v)) : d;
      };
      return ctx.op("slice", [x], { axis, start: bound("start"), end: bound("end") });
    },
  }),
];
