// Messages that mislead or misbehave: wrong-looking numbers refused with what is wrong with them, optimizer arguments
// checked where they are written, control characters and huge values never echoed raw, a closed pipe that is not an
// error, and forms users write that are accepted.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCsvSources } from "../../runtime/data/csv.js";
import { ROOT, compileText, runCli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "dlg-hostile-messages-"));
const iris = "dsl-examples/iris-mlp.dlg";
const bin = join(ROOT, "bin/dlg.js");

describe("negative numbers after an option are its value, and its check says what is wrong", () => {
  it.each([
    [["--epochs", "-1"], "dlg: --epochs expects a positive integer, got '-1'\n"],
    [["--lr", "-1"], "dlg: --lr expects a positive number, got '-1'\n"],
    [["--batch", "-3"], "dlg: --batch expects a positive integer, got '-3'\n"],
    [["--seed", "-2"], "dlg: --seed expects a non-negative integer, got '-2'\n"],
  ])("%j", async (flag, message) => {
    const r = await runCli(["train", iris, "--data", "iris", ...flag]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message);
  });
});

describe("optimizer arguments are checked where they are written", () => {
  const withOptimizer = (call: string) => compileText(`model M() {\n  input x: f32[N, 2]\n  input y: f32[N, 1]\n  p = dense(x, 1)\n  train mse(p, y) with ${call}\n}\n`);
  it.each([
    ["adam(beta1: 1)", "adam: `beta1` is 1, expected a number in [0, 1)"],
    ["adam(beta2: 1.5)", "adam: `beta2` is 1.5, expected a number in [0, 1)"],
    ["adam(eps: 0)", "adam: `eps` is 0, expected a positive number"],
    ["adam(lr: 1e400)", "adam: `lr` is Infinity, expected a positive number"],
    ["sgd(lr: 0.1, momentum: -0.5)", "sgd: `momentum` is -0.5, expected a non-negative number"],
  ])("%s", (call, message) => {
    const r = withOptimizer(call);
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([["E219", message]]);
    const arg = call.match(/(\w+): [^,)]+\)$/)![0];
    expect(r.diagnostics[0]!.span.end).toBeGreaterThan(r.diagnostics[0]!.span.start);
    expect(arg.length).toBeGreaterThan(0);
  });
});

describe("what is echoed is visible and short", () => {
  it("control characters in a source are shown as symbols, never sent to the terminal", async () => {
    const file = join(dir, "escape.dlg");
    writeFileSync(file, "model M() {\n  input x: f32[N, 4]\n  y = x \x1b[2J\x07 + 1\n  output y\n}\n");
    const r = await runCli(["check", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stderr).toContain("y = x \u241b[2J\u2407 + 1");
  });

  it("a UTF-8 byte order mark at the start of a .dlg file is accepted", async () => {
    const file = join(dir, "bom.dlg");
    writeFileSync(file, "\ufeffmodel M() {\n  input x: f32[N, 4]\n  output x\n}\n");
    const r = await runCli(["check", file]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("a 10,000-character name is shortened in the message and the source line is a window around it", async () => {
    const name = "n".repeat(10_000);
    const file = join(dir, "long.dlg");
    writeFileSync(file, `model M() {\n  input x: f32[N, 4]\n  y = x + ${name}\n  output y\n}\n`);
    const r = await runCli(["check", file]);
    expect(r.code).toBe(1);
    for (const line of r.stderr.split("\n")) expect(line.length).toBeLessThan(200);
  });

  it("a 1 MB CSV cell is not echoed whole", () => {
    const cell = "x".repeat(1_000_000);
    try {
      parseCsvSources([{ text: `a,b\n1,2\n3,${cell}\n4,5\n`, source: "big.csv" }]);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(300);
      expect((e as Error).message).toContain("(1000000 characters)");
    }
  });
});

describe("a reader that goes away", () => {
  it("`dlg ... | head -1` prints no stack trace", () => {
    const r = spawnSync("bash", ["-c", `"${process.execPath}" "${bin}" check dsl-examples/gpt.dlg --dump-ir | head -1`], { cwd: ROOT, encoding: "utf8" });
    expect(r.stdout).toMatch(/^model GPT/);
    expect(r.stderr).toBe("");
  });

  it("a training run whose stdout closes still saves its checkpoint", () => {
    const save = join(dir, "piped.safetensors");
    const r = spawnSync("bash", ["-c", `"${process.execPath}" "${bin}" train ${iris} --data iris --backend cpu --epochs 20 --save "${save}" | head -1; echo "status \${PIPESTATUS[0]}" >&2`], { cwd: ROOT, encoding: "utf8" });
    expect(r.stderr).toContain("status 0");
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(readdirSync(dir)).toContain("piped.safetensors");
  });
});

describe("forms users write", () => {
  it("`model M { ... }` without () is a model without hyperparameters", () => {
    const r = compileText("model Mlp {\n  input x: f32[N, 4]\n  y = dense(x, 2)\n  output y\n}\n");
    expect(r.diagnostics).toEqual([]);
    expect(r.check!.model).toBe("Mlp");
  });
});

describe("duplicates are diagnostics, at the second occurrence", () => {
  it.each([
    ["hyperparameters", "model M(h: int = 2, h: int = 3) {\n  input x: f32[N, 4]\n  output x\n}\n", "hyperparameter `h` is defined twice", "h: int = 3"],
    ["block parameters", "block B(x: f32[N, 4], x: int) {\n  return x\n}\nmodel M() {\n  input x: f32[N, 4]\n  output x\n}\n", "parameter `x` is defined twice", "x: int"],
    ["params", "model M() {\n  input x: f32[N, 4]\n  param w: f32[4, 4]\n  param w: f32[4, 4]\n  y = x @ w\n  output y\n}\n", "param `w` is defined twice", "w: f32[4, 4]\n  y"],
    ["outputs", "model M() {\n  input x: f32[N, 4]\n  y = x * 2\n  output y, y\n}\n", "output `y` is defined twice", "y\n}"],
  ])("%s", (_what, text, message, at) => {
    const r = compileText(text);
    const d = r.diagnostics.find((x) => x.code === "E109");
    expect(d?.message).toBe(message);
    expect(d!.span.start).toBe(text.lastIndexOf(at));
  });
});

describe("help says what exists", () => {
  it("`dlg graph --help` lists the options graph has, and no others", async () => {
    const r = await runCli(["graph", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: dlg graph FILE \[--backward\] \[--fused \[--batch N\]\] \[--format dot\|mermaid\|svg\] \[-o FILE\]\n/);
    expect((await runCli(["graph", iris, "--epochs", "3"])).stderr).toBe("dlg: graph: Unknown option '--epochs'\n");
  });
});

describe("a file of another format says what it is", () => {
  it("a .dlg given as --weights", async () => {
    const r = await runCli(["run", iris, "--weights", iris, "--data", "iris", "--backend", "cpu"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dlg: ${iris}: this is a dlg model source (.dlg), not a safetensors checkpoint\n`);
  });

  it("a safetensors file named .csv given as data", async () => {
    const weights = join(dir, "weights.safetensors");
    expect((await runCli(["init", iris, "-o", weights])).code).toBe(0);
    const disguised = join(dir, "weights.csv");
    writeFileSync(disguised, readFileSync(weights));
    const r = await runCli(["train", iris, "--data", disguised, "--backend", "cpu"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dlg: data file ${disguised} is a safetensors file, not CSV (give it a .safetensors name)\n`);
  });
});

describe("training that would change nothing is a warning", () => {
  it("parameters the loss never reaches are named, one warning per layer", () => {
    const r = compileText("model M() {\n  input x: f32[N, 4]\n  input y: f32[N, 2]\n  h = dense(x, 2)\n  unused = dense(x, 3)\n  output unused\n  train mse(h, y) with sgd(lr: 0.1)\n}\n");
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([["W104", "parameters `unused.weight`, `unused.bias` do not affect the loss, so training never changes them"]]);
  });

  it("a loss that depends on no parameter", () => {
    const r = compileText("model M() {\n  input x: f32[N, 2]\n  input y: f32[N, 2]\n  h = dense(x, 2)\n  output h\n  train mse(x * 2, y) with sgd(lr: 0.1)\n}\n");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["W105"]);
  });
});

describe("fmt keeps every comment whole and with its statement", () => {
  it("comment text after a NUL byte is kept", async () => {
    const file = join(dir, "nul.dlg");
    writeFileSync(file, "model M() {\n  input x: f32[N, 4]  # a\0b\0c\n  output x\n}\n");
    expect((await runCli(["fmt", file])).stdout).toBe("model M() {\n  input x: f32[N, 4]  # a\0b\0c\n  output x\n}\n");
  });

  it("in `a; b # c` the comment stays with b", async () => {
    const file = join(dir, "semicolons.dlg");
    writeFileSync(file, "model M() {\n  input x: f32[N, 4]\n  y = x; z = y # on z\n  output z\n}\n");
    expect((await runCli(["fmt", file])).stdout).toBe("model M() {\n  input x: f32[N, 4]\n  y = x\n  z = y  # on z\n  output z\n}\n");
  });
});
