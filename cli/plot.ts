// `dlg train --plot FILE.svg`: the run as a picture, rewritten after every epoch: the loss of every step (faint), the
// epoch means and the held-out loss (per epoch), and the held-out accuracy on its own axis for a classifier.
import type { EpochReport } from "../runtime/train.js";
import { escapeHtml } from "./html.js";

export interface TrainingCurves {
  model: string;
  /** Steps per epoch, to place epochs on the step axis. */
  stepsPerEpoch: number;
  epochs: number;
  stepLosses: number[];
  reports: EpochReport[];
}

const W = 760, H = 420;
const M = { left: 64, right: 64, top: 64, bottom: 52 };


/** Round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number) => (v === 0 ? "0" : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2));

export function trainingSvg(c: TrainingCurves): string {
  const totalSteps = Math.max(1, c.stepsPerEpoch * c.epochs);
  const losses = [...c.stepLosses.filter(Number.isFinite), ...c.reports.flatMap((r) => [r.loss, r.testLoss]).filter(Number.isFinite)];
  const top = losses.length > 0 ? Math.max(...losses) : 1;
  const lossTicks = ticks(0, top);
  const yMax = lossTicks[lossTicks.length - 1]! >= top ? lossTicks[lossTicks.length - 1]! : top;
  const x = (step: number) => M.left + ((W - M.left - M.right) * step) / totalSteps;
  const y = (loss: number) => H - M.bottom - ((H - M.top - M.bottom) * loss) / (yMax || 1);
  const yAcc = (a: number) => H - M.bottom - (H - M.top - M.bottom) * a;
  const parts: string[] = [];
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${M.left}" y="24" font-size="15" font-weight="600">${escapeHtml(c.model)}: training</text>`);
  // Axes and grid.
  for (const t of lossTicks) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e6e8ee"/>`);
    parts.push(`<text x="${M.left - 8}" y="${(y(t) + 4).toFixed(1)}" font-size="11" text-anchor="end">${fmt(t)}</text>`);
  }
  for (let e = 0; e <= c.epochs; e++) {
    const xe = x(e * c.stepsPerEpoch);
    parts.push(`<line x1="${xe.toFixed(1)}" x2="${xe.toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eef0f4"/>`);
    parts.push(`<text x="${xe.toFixed(1)}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle">${e}</text>`);
  }
  parts.push(`<text x="${(W / 2).toFixed(0)}" y="${H - 12}" font-size="12" text-anchor="middle">epoch (${c.stepsPerEpoch} steps each)</text>`);
  parts.push(`<text transform="translate(16 ${(H / 2).toFixed(0)}) rotate(-90)" font-size="12" text-anchor="middle">loss</text>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#556"/><line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#556"/>`);
  // Per-step loss, then the epoch figures on top.
  const stepPoints = c.stepLosses.map((l, i) => (Number.isFinite(l) ? `${x(i + 1).toFixed(1)},${y(l).toFixed(1)}` : "")).filter((p) => p).join(" ");
  if (stepPoints) parts.push(`<polyline class="step-loss" fill="none" stroke="#9db4e6" stroke-width="1" points="${stepPoints}"/>`);
  const epochLine = (cls: string, values: number[], colour: string, dash = "") => {
    const pts = c.reports.map((r, i) => `${x(r.epoch * c.stepsPerEpoch).toFixed(1)},${y(values[i]!).toFixed(1)}`);
    parts.push(`<polyline class="${cls}" fill="none" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""} points="${pts.join(" ")}"/>`);
    for (const p of pts) parts.push(`<circle class="${cls}" cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="3" fill="${colour}"/>`);
  };
  if (c.reports.length > 0) {
    epochLine("epoch-loss", c.reports.map((r) => r.loss), "#2f5fc4");
    epochLine("test-loss", c.reports.map((r) => r.testLoss), "#d9822b", "5 3");
  }
  const legend = [["#9db4e6", "loss per step"], ["#2f5fc4", "mean training loss per epoch"], ["#d9822b", "held-out loss"]];
  const accuracy = c.reports.filter((r) => r.accuracy !== null);
  if (accuracy.length > 0) {
    // Accuracy on the right axis, 0 to 100%.
    for (const a of [0, 0.25, 0.5, 0.75, 1]) parts.push(`<text x="${W - M.right + 8}" y="${(yAcc(a) + 4).toFixed(1)}" font-size="11">${(a * 100).toFixed(0)}%</text>`);
    parts.push(`<text transform="translate(${W - 14} ${(H / 2).toFixed(0)}) rotate(90)" font-size="12" text-anchor="middle">held-out accuracy</text>`);
    const pts = accuracy.map((r) => `${x(r.epoch * c.stepsPerEpoch).toFixed(1)},${yAcc(r.accuracy!).toFixed(1)}`);
    parts.push(`<polyline class="accuracy" fill="none" stroke="#2b9a5a" stroke-width="2" points="${pts.join(" ")}"/>`);
    for (const [i, p] of pts.entries()) {
      const [cx, cy] = p.split(",");
      parts.push(`<circle class="accuracy" cx="${cx}" cy="${cy}" r="3" fill="#2b9a5a"><title>epoch ${accuracy[i]!.epoch}: ${(100 * accuracy[i]!.accuracy!).toFixed(2)}%</title></circle>`);
    }
    legend.push(["#2b9a5a", "held-out accuracy"]);
  }
  let lx = M.left + 8;
  legend.forEach(([colour, label]) => {
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="44" y2="44" stroke="${colour}" stroke-width="2"/><text x="${lx + 24}" y="48" font-size="11">${escapeHtml(label!)}</text>`);
    lx += 40 + 6.2 * label!.length;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">\n${parts.join("\n")}\n</svg>\n`;
}
