// Starts `dlg lsp --stdio` for .dlg files. The language features live in the server (dlg/lsp/server.ts); this file
// only wires VS Code to it.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("dlg").get("command", "dlg");
  const server = { command, args: ["lsp", "--stdio"], transport: TransportKind.stdio };
  client = new LanguageClient("dlg", "dlg", { run: server, debug: server }, { documentSelector: [{ scheme: "file", language: "dlg" }] });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
