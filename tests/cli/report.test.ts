// `dlg compile --report F.html`: one page with, for each program, its kernel graph, every kernel (its .dlg lines and
// the WGSL dlg compile wrote for it) and the memory plan with the peak and the values live there named by .dlg line.
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-report-"));
const unescape = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");

describe("dlg compile --report", () => {
  it("shows every kernel's WGSL and sources, the kernel graph and the memory peak of both programs", async () => {
    const out = join(dir, "mlp");
    const html = join(dir, "mlp.html");
    const r = await runCli(["compile", "dsl-examples/mnist-mlp.dlg", "--batch", "16", "-o", out, "--report", html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`  report: ${html}\n`);
    const page = readFileSync(html, "utf8");
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    for (const kind of ["forward", "train"] as const) {
      const start = page.indexOf(`<section id="${kind}">`);
      expect(start).toBeGreaterThan(0);
      const part = page.slice(start, page.indexOf("</section>", start));
      const kernels = manifest.programs[kind].kernels as { file: string }[];
      expect(part).toMatch(new RegExp(`: ${kernels.length} kernels, peak memory `));
      const shown = [...part.matchAll(/<pre><code>([\s\S]*?)<\/code><\/pre>/g)].map((m) => unescape(m[1]!));
      expect(shown).toEqual(kernels.map((k) => readFileSync(join(out, k.file), "utf8")));
      expect(part.match(/<g id="clust\d+" class="cluster">/g)).toHaveLength(kernels.length);
      expect(part).toMatch(/<line class="peak"/);
      expect(part).toMatch(/peak: [\d.]+ (KiB|MiB) live at dispatch \d+/);
    }
    // The training step's peak holds the first layer's weight gradient, named by the line that declares the layer.
    const train = page.slice(page.indexOf('<section id="train">'));
    const peak = train.slice(train.indexOf('<table class="peak-values">'), train.indexOf("</table>"));
    expect(peak).toMatch(/f32\[784, 512\]<\/td><td>1\.53 MiB<\/td><td>mnist-mlp\.dlg:\d+ <code>hidden1 = dense\(x, h1\)/);
    expect(readdirSync(dir)).toContain("mlp.html");
  });

  it("refuses a report it cannot write, in one line", async () => {
    expect(await runCli(["compile", "dsl-examples/iris-mlp.dlg", "--batch", "4", "-o", join(dir, "x"), "--report", join(dir, "r.txt")]))
      .toMatchObject({ code: 2, stderr: `dlg: compile: --report ${join(dir, "r.txt")}: the report is written as an .html file\n` });
  });
});
