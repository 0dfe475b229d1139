// `dlg lsp` over real stdio (JSON-RPC, as an editor runs it): diagnostics follow edits that break and fix a shape, with
// the ranges and messages `dlg check --json` reports; hover, definition, completion and formatting answer exactly.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import type { PublishDiagnosticsParams } from "vscode-languageserver-protocol";
import { ROOT, runCli } from "../helpers.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

const URI = "file:///work/model.dlg";
const GOOD = `block Hidden(x: f32[N, D], width: int) -> f32[N, width] {
  return dense(x, width) -> relu
}

model M {
  input x: f32[N, 4]
  h = Hidden(x, width: 8)
  y: f32[N, 3] = dense(h, 3)
  output y
}
`;

let child: ChildProcessWithoutNullStreams;
let rpc: MessageConnection;
const published: PublishDiagnosticsParams[] = [];
let waiters: (() => void)[] = [];

/** The next diagnostics published for a document version at least `version`. */
async function diagnosticsFor(version: number): Promise<PublishDiagnosticsParams> {
  for (;;) {
    const found = published.find((p) => (p.version ?? 0) >= version);
    if (found) return found;
    await new Promise<void>((resolve) => waiters.push(resolve));
  }
}

beforeAll(async () => {
  child = spawn(process.execPath, [join(ROOT, "bin", "dlg.js"), "lsp", "--stdio"], { stdio: "pipe" });
  rpc = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  rpc.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
    published.push(p);
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  });
  rpc.listen();
  const init = await rpc.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} }) as { capabilities: Record<string, unknown> };
  expect(init.capabilities).toMatchObject({ hoverProvider: true, definitionProvider: true, documentFormattingProvider: true });
  await rpc.sendNotification("initialized", {});
});

afterAll(async () => {
  await rpc.sendRequest("shutdown");
  await rpc.sendNotification("exit");
  await new Promise((resolve) => child.once("exit", resolve));
  rpc.dispose();
});

describe("dlg lsp", () => {
  it("publishes diagnostics as the text changes: clean, then a broken shape, then fixed", async () => {
    await rpc.sendNotification("textDocument/didOpen", { textDocument: { uri: URI, languageId: "dlg", version: 1, text: GOOD } });
    expect((await diagnosticsFor(1)).diagnostics).toEqual([]);
    // Line 8 (0-based 7) annotates y as f32[N, 3]: make it f32[N, 5] with an incremental edit.
    const line = GOOD.split("\n")[7]!;
    const col = line.indexOf("3]");
    await rpc.sendNotification("textDocument/didChange", {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [{ range: { start: { line: 7, character: col }, end: { line: 7, character: col + 1 } }, text: "5" }],
    });
    const broken = (await diagnosticsFor(2)).diagnostics;
    const text = GOOD.replace("f32[N, 3] = dense", "f32[N, 5] = dense");
    const dir = mkdtempSync(join(tmpdir(), "dlg-lsp-"));
    writeFileSync(join(dir, "model.dlg"), text);
    const cli = JSON.parse((await runCli(["check", join(dir, "model.dlg"), "--json"])).stdout) as { diagnostics: { code: string; message: string; line: number; column: number; endLine: number; endColumn: number }[] };
    expect(broken.map((d) => ({ code: d.code, message: String(d.message).split("\n")[0], range: d.range }))).toEqual(cli.diagnostics.map((d) => ({
      code: d.code, message: d.message, range: { start: { line: d.line - 1, character: d.column - 1 }, end: { line: d.endLine - 1, character: d.endColumn - 1 } },
    })));
    expect(broken.length).toBeGreaterThan(0);
    expect(broken[0]!.severity).toBe(1);
    await rpc.sendNotification("textDocument/didChange", {
      textDocument: { uri: URI, version: 3 },
      contentChanges: [{ range: { start: { line: 7, character: col }, end: { line: 7, character: col + 1 } }, text: "3" }],
    });
    expect((await diagnosticsFor(3)).diagnostics).toEqual([]);
  });

  it("hovers a binding's inferred type and a layer call's parameters", async () => {
    const h = await rpc.sendRequest("textDocument/hover", { textDocument: { uri: URI }, position: { line: 6, character: 2 } }) as { contents: { value: string }; range: unknown };
    expect(h.contents.value).toBe("`h: f32[N, 8]`");
    expect(h.range).toEqual({ start: { line: 6, character: 2 }, end: { line: 6, character: 3 } });
    const dense = await rpc.sendRequest("textDocument/hover", { textDocument: { uri: URI }, position: { line: 7, character: 18 } }) as { contents: { value: string } };
    expect(dense.contents.value).toBe("`dense(x, units, bias)`: x @ weight[in, units] + bias[units] on the last axis\n\n- `y.weight: f32[8, 3]`\n\n- `y.bias: f32[3]`");
  });

  it("goes from a block call to the block", async () => {
    const loc = await rpc.sendRequest("textDocument/definition", { textDocument: { uri: URI }, position: { line: 6, character: 8 } });
    expect(loc).toEqual({ uri: URI, range: { start: { line: 0, character: 6 }, end: { line: 0, character: 12 } } });
  });

  it("completes layers, blocks and a callee's named arguments", async () => {
    const items = await rpc.sendRequest("textDocument/completion", { textDocument: { uri: URI }, position: { line: 6, character: 16 } }) as { label: string }[];
    const labels = items.map((i) => i.label);
    expect(labels).toContain("width:");
    expect(labels).toEqual(expect.arrayContaining(["dense", "conv2d", "layer_norm", "Hidden", "repeat"]));
  });

  it("formats with dlg fmt", async () => {
    const uri = "file:///work/ugly.dlg";
    const ugly = "model U {\n    input x:f32[N,4]\n  y=dense(x,2)\n output   y\n}\n";
    await rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "dlg", version: 1, text: ugly } });
    const edits = await rpc.sendRequest("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } }) as { newText: string; range: unknown }[];
    const dir = mkdtempSync(join(tmpdir(), "dlg-lsp-fmt-"));
    writeFileSync(join(dir, "ugly.dlg"), ugly);
    const fmt = await runCli(["fmt", join(dir, "ugly.dlg")]);
    expect(edits).toEqual([{ range: { start: { line: 0, character: 0 }, end: { line: 5, character: 0 } }, newText: fmt.stdout }]);
    expect(fmt.stdout).not.toBe(ugly);
  });
});
