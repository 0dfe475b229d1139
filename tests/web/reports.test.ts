// The pictures dlg writes open in the browser of the page tests without a console error: the compile report (kernel
// graphs, memory timelines, WGSL) and the training plot.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { launchBrowser } from "./browser.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-reports-"));
const { browser, reason } = await launchBrowser();
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("reports in the browser", () => {
  it("has a browser", () => {
    if (browser) return;
    if (process.env["CI"] === "true") throw new Error(`reports: no browser under CI: ${reason}`);
    console.warn(`reports: SKIPPED, ${reason}`);
  });

  it.skipIf(!browser)("open without console errors and show what they promise", async () => {
    const html = join(dir, "lenet.html");
    expect((await runCli(["compile", "dsl-examples/lenet.dlg", "--batch", "8", "-o", join(dir, "lenet"), "--report", html])).code).toBe(0);
    const svg = join(dir, "iris.svg");
    expect((await runCli(["train", "dsl-examples/iris-mlp.dlg", "--data", "iris", "--backend", "cpu", "--epochs", "3", "--plot", svg])).code).toBe(0);
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(pathToFileURL(html).href);
    expect(await page.locator("section#forward .graph svg").count()).toBe(1);
    expect(await page.locator("section#train .timeline line.peak").count()).toBe(1);
    await page.locator("section#train details.kernel").first().click();
    expect(await page.locator("section#train details.kernel pre").first().isVisible()).toBe(true);
    await page.goto(pathToFileURL(svg).href);
    expect(await page.locator("polyline.accuracy").count()).toBe(1);
    const profile = join(dir, "profile.html");
    const profiled = await runCli(["profile", "dsl-examples/iris-mlp.dlg", "--data", "iris", "--steps", "1", "--html", profile]);
    if (profiled.code === 0) {
      await page.goto(pathToFileURL(profile).href);
      expect(await page.locator("#profile tr").count()).toBeGreaterThan(2);
    } else expect(profiled.stderr).toMatch(/no WebGPU adapter/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
