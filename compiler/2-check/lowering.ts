// Lowering one call: a LayerContext through which a layer's expansion appends primitives to the graph, declares
// parameters named after the binding being evaluated, and fails with a diagnostic at the call.
import type { Span } from "../diagnostics/span.js";
import { ShapeFailure } from "../ir/builder.js";
import type { CheckContext } from "./context.js";
import type { LayerContext } from "./lower-to-ir.js";
import type { Frame } from "./scope.js";
import { POISON, type Value } from "./values.js";

/** Runs a lowering step with a LayerContext whose parameters are named after the current binding. */
export function lowering(ctx: CheckContext, callee: string, span: Span, frame: Frame, body: (layer: LayerContext) => Value): Value {
  const builder = ctx.builder;
  let layerName: string | undefined;
  const layer: LayerContext = {
    callee,
    op: (name, inputs, ...attrs) => {
      try {
        return builder.relayOp(name, inputs, attrs, span);
      } catch (e) {
        // A primitive inside a layer's expansion (gelu's erf, softmax's exp) is reported under the name the user wrote.
        if (e instanceof ShapeFailure && name !== callee && e.error.params["op"] === name)
          throw new ShapeFailure({ ...e.error, params: { ...e.error.params, op: callee } }, e.span);
        throw e;
      }
    },
    constant: (value, dtype = "f32") => builder.constant(value, dtype),
    dimScalar: (d) => {
      const c = d.constValue();
      return c !== undefined ? builder.constant(c, "f32") : builder.op("dim_size", [], { dim: d }, span);
    },
    param: (suffix, shape, init, dtype = "f32") => {
      layerName ??= frame.naming.claim(frame.bindingName || callee);
      const name = frame.naming.qualify(layerName, suffix);
      return ctx.declareParam(name, { dtype, shape }, init, span);
    },
    get mode() {
      ctx.modeDependent = true;
      return ctx.mode;
    },
    buffer: (suffix, shape, init, dtype = "f32") => {
      if (ctx.sharedParams) throw new ShapeFailure({ key: "badValue", params: { what: `${callee} inside the step of a scan`, value: "running statistics per step", expected: "a layer without running state (normalize the sequence before or after the scan)" } });
      layerName ??= frame.naming.claim(frame.bindingName || callee);
      const name = frame.naming.qualify(layerName, suffix);
      if ((builder.graph.buffers ?? []).some((b) => b.name === name)) throw new ShapeFailure({ key: "duplicateDefinition", params: { kind: "state tensor", name } });
      const type = { dtype, shape };
      const value = builder.op("state", [], { name, dtype, shape }, span, name);
      (builder.graph.buffers ??= []).push({ name, node: value.node, type, init });
      return value;
    },
    updateBuffer: (buffer, next) => {
      const entry = builder.graph.buffers?.find((b) => b.node === buffer.node);
      if (!entry) throw new Error("internal: updateBuffer of a value that is no buffer");
      entry.update = next.node;
    },
    fail: (error, at) => {
      throw new ShapeFailure(error, at);
    },
    scores: (scores, labels) => {
      ctx.scored.push({ scores: scores.node, labels: labels.node });
    },
  };
  try {
    return body(layer);
  } catch (e) {
    if (!(e instanceof ShapeFailure)) throw e;
    ctx.reportShapeError(e.error, e.span ?? span);
    return POISON;
  }
}
