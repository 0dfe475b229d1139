// Single mutations of a generated program. Sites are enumerated in a fixed order, so the same index finds the same
// place in a structured clone; `apply` edits the clone in place and returns the node whose text is the mutated text.
import { arg, batch, exprNodes, num, stmtsIn, type GBlock, type GExpr, type GParam, type GProgram, type GStmt, type GType } from "./program.js";

export type MutationKind =
  | "inputDim"
  | "denseUnits"
  | "rank"
  | "renameUse"
  | "renameDef"
  | "concatAxis"
  | "annotation"
  | "returnType"
  | "signature";

export interface Site {
  kind: MutationKind;
  /** Applies the mutation (variant chosen by `choice`) in place; returns the node that now holds the mutated text. */
  apply(choice: number): object;
}

/** A prefix that no generated name has, so a renamed name is undefined everywhere. */
export const UNDEFINED_PREFIX = "zz_";

function numValue(e: GExpr): number | undefined {
  return e.k === "num" && /^\d+$/.test(e.text) ? Number(e.text) : undefined;
}

function otherValue(old: number, choice: number): number {
  const options = [old + 1, old - 1, 1, old * 2, old + 3, 7].filter((v) => v >= 1 && v !== old);
  return options[choice % options.length]!;
}

function replaceWith(target: GExpr, replacement: GExpr): GExpr {
  // In place, so the node keeps its identity (and its place in the tree).
  for (const key of Object.keys(target)) delete (target as Record<string, unknown>)[key];
  Object.assign(target, replacement);
  return target;
}

/** Changes a declared type: one numeric dim, a batch dim made concrete, a dim dropped or added, or the dtype. */
function mutateType(t: GType, choice: number, allowDtype: boolean): GType {
  const numeric = t.dims.filter((d) => numValue(d) !== undefined);
  const variant = choice % (allowDtype ? 4 : 3);
  const c = Math.floor(choice / 4);
  if (variant === 0 && numeric.length > 0) {
    const d = numeric[c % numeric.length]!;
    replaceWith(d, num(otherValue(numValue(d)!, c)));
  } else if (variant === 1 && t.dims.length > 0) t.dims.splice(c % t.dims.length, 1);
  else if (variant === 3 && t.dtype === "f32") t.dtype = "i32";
  else t.dims.splice(c % (t.dims.length + 1), 0, num(1 + (c % 5)));
  return t;
}

function exprSites(e: GExpr, out: Site[]): void {
  for (const n of exprNodes(e)) {
    if (n.k === "name" || n.k === "batch") {
      out.push({
        kind: "renameUse",
        apply: () => replaceWith(n, { k: "name", name: UNDEFINED_PREFIX + (n.k === "name" ? n.name : "N") }),
      });
    }
    if (n.k === "call" && n.fn === "dense") {
      const positional = n.args.filter((a) => a.name === undefined);
      const units = n.args.find((a) => a.name === "units") ?? positional[1];
      const v = units ? numValue(units.value) : undefined;
      if (units && v !== undefined) out.push({ kind: "denseUnits", apply: (c) => replaceWith(units.value, num(otherValue(v, c))) });
    }
    if (n.k === "call" && n.fn === "concat") {
      out.push({
        kind: "concatAxis",
        apply: (c) => {
          const positional = n.args.filter((a) => a.name === undefined);
          const axisArg = n.args.find((a) => a.name === "axis") ?? positional[1];
          const current = axisArg ? axisValue(axisArg.value) : 0;
          const options = [-3, -2, -1, 0, 1, 2, 3].filter((a) => a !== current);
          const value = num(options[c % options.length]!);
          if (axisArg) return replaceWith(axisArg.value, value);
          n.args.push(arg(value, "axis"));
          return value;
        },
      });
    }
  }
}

function axisValue(e: GExpr): number | undefined {
  if (e.k === "neg") {
    const v = axisValue(e.x);
    return v === undefined ? undefined : -v;
  }
  return numValue(e);
}

function bodySites(body: GStmt[], out: Site[]): void {
  for (const s of stmtsIn(body)) {
    switch (s.k) {
      case "input":
        s.type.dims.forEach((d) => {
          const v = numValue(d);
          if (v !== undefined) out.push({ kind: "inputDim", apply: (c) => replaceWith(d, num(otherValue(v, c))) });
        });
        out.push({
          kind: "rank",
          apply: (c) => {
            if (c % 2 === 0 && s.type.dims.length > 0) s.type.dims.splice(Math.floor(c / 2) % s.type.dims.length, 1);
            else s.type.dims.splice(Math.floor(c / 2) % (s.type.dims.length + 1), 0, c % 4 === 1 ? batch() : num(2 + (c % 7)));
            return s.type;
          },
        });
        out.push({ kind: "renameDef", apply: () => ((s.name = UNDEFINED_PREFIX + s.name), s) });
        break;
      case "bind":
        exprSites(s.value, out);
        out.push({ kind: "renameDef", apply: () => ((s.name = UNDEFINED_PREFIX + s.name), s) });
        if (s.ann) {
          const ann = s.ann;
          out.push({ kind: "annotation", apply: (c) => mutateType(ann, c, true) });
        }
        break;
      case "output":
        for (const n of s.names) exprSites(n, out);
        break;
      case "repeat":
        exprSites(s.count, out);
        break;
      case "train":
        exprSites(s.loss, out);
        break;
      case "return":
        exprSites(s.value, out);
        break;
      default:
        break;
    }
  }
}

function paramSites(params: GParam[], out: Site[], block?: GBlock): void {
  for (const p of params) {
    out.push({ kind: "renameDef", apply: () => ((p.name = UNDEFINED_PREFIX + p.name), p) });
    if (block && typeof p.type !== "string") {
      const t = p.type;
      out.push({ kind: "signature", apply: (c) => mutateType(t, c, false) });
    }
  }
}

/** Every place the mutations can apply, in a fixed order. */
export function mutationSites(p: GProgram): Site[] {
  const out: Site[] = [];
  paramSites(p.model.hparams, out);
  bodySites(p.model.body, out);
  for (const b of p.blocks) {
    paramSites(b.params, out, b);
    if (b.ret) {
      const ret = b.ret;
      out.push({ kind: "returnType", apply: (c) => mutateType(ret, c, true) });
    }
    bodySites(b.body, out);
  }
  return out;
}
