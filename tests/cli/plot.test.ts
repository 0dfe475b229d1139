// `dlg train --plot FILE.svg`: the picture of a run holds every step's loss, each epoch's mean loss, held-out loss and
// held-out accuracy, the figures the run printed, and is rewritten after every epoch.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-plot-"));

function points(svg: string, cls: string): number[][] {
  const m = new RegExp(`<polyline class="${cls}"[^>]* points="([^"]*)"`).exec(svg);
  return m ? m[1]!.split(" ").map((p) => p.split(",").map(Number)) : [];
}

describe("dlg train --plot", () => {
  it("draws every step's loss and each epoch's figures, as printed", async () => {
    const plot = join(dir, "iris.svg");
    const r = await runCli(["train", "dsl-examples/iris-mlp.dlg", "--data", "iris", "--backend", "cpu", "--epochs", "5", "--batch", "16", "--seed", "2", "--json", "--plot", plot]);
    expect(r.code, r.stderr).toBe(0);
    const epochs = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { loss: number; accuracy: number });
    const svg = readFileSync(plot, "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
    expect(points(svg, "step-loss")).toHaveLength(5 * 8); // 120 training rows in batches of 16
    const epochLoss = points(svg, "epoch-loss");
    expect(epochLoss).toHaveLength(5);
    expect(points(svg, "test-loss")).toHaveLength(5);
    // Lower loss is drawn higher up the y axis (a larger y coordinate), in proportion.
    const ys = epochLoss.map((p) => p[1]!);
    for (let i = 1; i < 5; i++) expect(Math.sign(ys[i]! - ys[i - 1]!)).toBe(Math.sign(epochs[i - 1]!.loss - epochs[i]!.loss) || 0);
    const titles = [...svg.matchAll(/<title>epoch (\d+): ([\d.]+)%<\/title>/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(titles).toEqual(epochs.map((e, i) => [i + 1, Number((100 * e.accuracy).toFixed(2))]));
  });

  it("refuses a plot it cannot write, before training", async () => {
    expect(await runCli(["train", "dsl-examples/iris-mlp.dlg", "--data", "iris", "--backend", "cpu", "--plot", join(dir, "p.png")]))
      .toMatchObject({ code: 2, stderr: `dlg: --plot ${join(dir, "p.png")}: the plot is written as an .svg file\n` });
    const onSource = await runCli(["train", "dsl-examples/iris-mlp.dlg", "--data", "iris", "--backend", "cpu", "--plot", "dsl-examples/iris-mlp.dlg"]);
    expect(onSource.code).toBe(2);
  });
});
