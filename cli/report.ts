// `dlg compile --report FILE.html`: one self-contained page per compile: for the forward program and the training
// step, the fused kernel graph, every kernel with the .dlg lines it came from and its WGSL, and the memory plan as a
// timeline of buffers (each value a bar over the dispatches it is live for) with the peak marked and the values live
// at the peak named by their .dlg lines.
import type { ProgramDetails } from "../compiler/index.js";
import { LineIndex } from "../compiler/diagnostics/span.js";
import { kernelColor, kernelGroup, renderGraph } from "../compiler/ir/render.js";
import { formatType } from "../compiler/ir/types.js";
import { escapeHtml } from "./html.js";

const kib = (bytes: number) => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/** Graphs larger than this are listed, not drawn: Graphviz takes minutes on them and the picture is unreadable. */
const MAX_DRAWN_NODES = 1500;

export interface ReportSource {
  path: string;
  text: string;
}

function section(d: ProgramDetails, model: string, source: ReportSource, index: LineIndex, svgOf: (dot: string) => string): string {
  const { graph, plan, memory } = d;
  const file = source.path.split("/").pop()!;
  /** The line a node came from and its text. */
  const nodeLine = (id: number) => {
    const span = graph.nodes[id]?.span;
    if (!span) return undefined;
    const line = index.position(span.start).line;
    return { line, text: index.lineText(line).trim() };
  };
  const where = (id: number) => {
    const l = nodeLine(id);
    return l ? `${file}:${l.line}` : "(generated)";
  };
  const kernels = plan.kernels.map((k, i) => {
    const lines = [...new Map(k.nodes.flatMap((n) => {
      const l = nodeLine(n);
      return l ? [[l.line, l.text] as const] : [];
    })).entries()].sort((a, b) => a[0] - b[0]);
    const group = kernelGroup(graph, k.nodes);
    return { i, k, lines, group, title: group.title };
  });

  // Memory: live bytes at every dispatch, the peak, and what is live there.
  const steps = plan.kernels.length;
  const liveBytes = new Array<number>(steps).fill(0);
  for (const v of d.values) {
    const live = memory.live.get(v.id)!;
    for (let s = Math.max(0, live.start); s <= Math.min(steps - 1, live.end); s++) liveBytes[s]! += Math.max(4, v.bytes);
  }
  const peakStep = liveBytes.reduce((best, b, s) => (b > liveBytes[best]! ? s : best), 0);
  const atPeak = d.values.filter((v) => {
    const live = memory.live.get(v.id)!;
    return live.start <= peakStep && live.end >= peakStep;
  }).sort((a, b) => b.bytes - a.bytes);

  const shared = memory.buffers.map((b, id) => ({ ...b, id })).filter((b) => !b.pinned);
  const rowH = 18, left = 90, width = 900, top = 24;
  const x = (s: number) => left + ((width - left - 10) * (s + 1)) / (steps + 1);
  const kernelOfStep = (s: number) => kernels[s]!;
  const bars: string[] = [];
  shared.forEach((b, row) => {
    const y = top + row * rowH;
    bars.push(`<text x="4" y="${y + 12}" font-size="11">buffer ${b.id} · ${kib(b.bytes)}</text>`);
    for (const id of b.values) {
      const live = memory.live.get(id)!;
      const node = graph.nodes[id]!;
      const x0 = x(live.start), x1 = x(live.end + 1);
      const colour = kernelColor(kernels.findIndex((k) => k.k.nodes.includes(id)) < 0 ? 0 : kernels.findIndex((k) => k.k.nodes.includes(id)));
      bars.push(`<rect x="${x0.toFixed(1)}" y="${y + 2}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${rowH - 4}" fill="${colour}" stroke="#667" stroke-width="0.5"><title>%${id} ${escapeHtml(node.op)}${node.label ? ` (${escapeHtml(node.label)})` : ""} ${escapeHtml(formatType(node.type))}, ${where(id)}, dispatches ${live.start + 1}-${live.end + 1}</title></rect>`);
    }
  });
  const height = top + shared.length * rowH + 24;
  const peakX = x(peakStep) + (x(peakStep + 1) - x(peakStep)) / 2;
  const timeline = `<svg class="timeline" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" font-family="Helvetica, Arial, sans-serif">
<text x="${left}" y="14" font-size="11">dispatch 1 → ${steps} (shared buffers; pinned ones hold inputs, parameters and read-back values for the whole program)</text>
${bars.join("\n")}
<line class="peak" x1="${peakX.toFixed(1)}" x2="${peakX.toFixed(1)}" y1="${top - 4}" y2="${height - 18}" stroke="#c62828" stroke-width="2"/>
<text x="${peakX.toFixed(1)}" y="${height - 6}" font-size="11" fill="#c62828" text-anchor="middle">peak: ${kib(liveBytes[peakStep]!)} live at dispatch ${peakStep + 1}</text>
</svg>`;

  const dot = renderGraph(graph, model, "dot", { kernels: kernels.map((k) => k.group) });
  const picture = graph.nodes.length <= MAX_DRAWN_NODES
    ? svgOf(dot).replace(/^<\?xml[^>]*>\s*/, "").replace(/<!DOCTYPE[^>]*>\s*/, "")
    : `<p>The graph has ${graph.nodes.length} nodes, too many to draw; <code>dlg graph --fused</code> writes it as DOT.</p>`;

  return `<section id="${d.kind}">
<h2>${d.kind === "train" ? "Training step" : d.kind === "forward" ? "Forward pass" : "Backward pass"}: ${kernels.length} kernels, peak memory ${kib(memory.peakBytes)} (${kib(memory.unplannedBytes)} without buffer sharing)</h2>
<h3>Kernel graph</h3>
<div class="graph">${picture}</div>
<h3>Memory plan</h3>
${timeline}
<h4>Live at the peak (dispatch ${peakStep + 1}: ${escapeHtml(kernelOfStep(peakStep).title)})</h4>
<table class="peak-values"><tr><th>value</th><th>type</th><th>bytes</th><th>from</th></tr>
${atPeak.map((v) => {
    const node = graph.nodes[v.id]!;
    const l = nodeLine(v.id);
    return `<tr><td>%${v.id} ${escapeHtml(node.op)}${node.label ? ` (${escapeHtml(node.label)})` : ""}</td><td>${escapeHtml(formatType(node.type))}</td><td>${kib(v.bytes)}</td><td>${l ? `${escapeHtml(file)}:${l.line} <code>${escapeHtml(l.text)}</code>` : "(generated)"}</td></tr>`;
  }).join("\n")}
</table>
<h3>Kernels</h3>
${kernels.map(({ i, k, title, lines }) => `<details class="kernel" id="${d.kind}-k${i + 1}"><summary><span class="swatch" style="background:${kernelColor(i)}"></span> ${i + 1}. ${escapeHtml(title)} <small>${escapeHtml(k.what)}; dispatch [${k.dispatch.join(", ")}]</small></summary>
<p>${lines.length ? lines.map(([n, t]) => `${escapeHtml(file)}:${n} <code>${escapeHtml(t)}</code>`).join("<br>") : "(generated: no source line)"}</p>
<pre><code>${escapeHtml(k.wgsl)}</code></pre></details>`).join("\n")}
</section>`;
}

export function compileReportHtml(model: string, batch: number, programs: readonly ProgramDetails[], source: ReportSource, svgOf: (dot: string) => string): string {
  const index = new LineIndex(source.text);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(model)}: dlg compile report</title>
<link rel="icon" href="data:,">
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1100px; color: #1d2330; }
h2 { border-bottom: 1px solid #d9dde5; padding-bottom: .3rem; margin-top: 2.5rem; }
.graph { overflow: auto; max-height: 640px; border: 1px solid #e3e6ec; }
.graph svg { max-width: none; }
table { border-collapse: collapse; font-size: .9rem; }
td, th { border-bottom: 1px solid #eceef3; padding: .2rem .6rem; text-align: left; vertical-align: top; }
details.kernel { margin: .2rem 0; }
summary { cursor: pointer; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border: 1px solid #889; vertical-align: middle; }
pre { background: #f6f7f9; padding: .6rem; overflow: auto; font-size: .8rem; }
</style></head>
<body>
<h1>${escapeHtml(model)}</h1>
<p>Compiled from <code>${escapeHtml(source.path)}</code> for batch ${batch}; ${programs.map((p) => `<a href="#${p.kind}">${p.kind}</a>`).join(" · ")}.</p>
${programs.map((p) => section(p, model, source, index, svgOf)).join("\n")}
</body></html>
`;
}
