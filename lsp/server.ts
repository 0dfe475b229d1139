// `dlg lsp`: the checker in the editor, over the Language Server Protocol (vscode-languageserver). Diagnostics are
// published as the user types (debounced; a check whose document changed meanwhile is dropped), hover shows a
// binding's inferred type and the parameters a layer call creates, go-to-definition jumps from a call to its block,
// completion offers layers, blocks and a callee's named arguments, and formatting is `dlg fmt`.
import {
  CompletionItemKind,
  createConnection,
  DiagnosticSeverity,
  MarkupKind,
  ProposedFeatures,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocuments,
  TextDocumentSyncKind,
  type CompletionItem,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type Hover,
  type Location,
  type TextEdit,
} from "vscode-languageserver/node.js";
import { TextDocument } from "vscode-languageserver-textdocument";
import { formatProgram } from "../compiler/1-parse/format.js";
import { diagnosticMessage } from "../compiler/diagnostics/diagnostic.js";
import { parse } from "../compiler/1-parse/parse.js";
import type { Decl, Program } from "../compiler/1-parse/ast.js";
import { builtins } from "../compiler/2-check/stdlib/index.js";
import { checkSource, type CompileResult } from "../compiler/index.js";
import { formatType } from "../compiler/ir/types.js";

/** Milliseconds of quiet typing before a document is checked. */
export const DEBOUNCE_MS = 150;

const KEYWORDS = ["model", "block", "input", "output", "param", "return", "repeat", "as", "train", "with"];

interface Checked {
  version: number;
  result: CompileResult;
}

function wordAt(text: string, offset: number): { word: string; start: number; end: number } | undefined {
  let start = offset;
  let end = offset;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1]!)) start--;
  while (end < text.length && /[A-Za-z0-9_]/.test(text[end]!)) end++;
  return start === end ? undefined : { word: text.slice(start, end), start, end };
}

/** The name of the call whose argument list encloses `offset` (`dense(x, |` -> dense), if any. */
function enclosingCallee(text: string, offset: number): string | undefined {
  let depth = 0;
  for (let i = offset - 1; i >= 0; i--) {
    const c = text[i]!;
    if (c === ")") depth++;
    else if (c === "(") {
      if (depth === 0) return wordAt(text, i)?.word ?? /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(text.slice(Math.max(0, i - 64), i))?.[1];
      depth--;
    } else if (c === "\n" && depth === 0 && !/[,(]\s*$/.test(text.slice(0, i))) return undefined;
  }
  return undefined;
}

function blockDecls(program: Program | undefined): Decl[] {
  return program?.decls ?? [];
}

/** The server on a connection (by default the process's stdin and stdout). */
export function startServer(connection: Connection = createConnection(ProposedFeatures.all, new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout))): Connection {
  const documents = new TextDocuments(TextDocument);
  const checked = new Map<string, Checked>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const check = (doc: TextDocument): Checked => {
    const cached = checked.get(doc.uri);
    if (cached && cached.version === doc.version) return cached;
    const result = checkSource(doc.getText(), doc.uri.split("/").pop() ?? doc.uri);
    const entry = { version: doc.version, result };
    checked.set(doc.uri, entry);
    return entry;
  };

  const publish = (uri: string) => {
    const doc = documents.get(uri);
    if (!doc) return;
    const version = doc.version;
    const { result } = check(doc);
    // A newer edit arrived while this one was checked: its own check publishes.
    if (documents.get(uri)?.version !== version) return;
    const diagnostics: LspDiagnostic[] = result.diagnostics.map((d) => ({
      severity: d.severity === "error" ? DiagnosticSeverity.Error : d.severity === "warning" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
      code: d.code,
      source: "dlg",
      message: [diagnosticMessage(d), ...(d.hint ? [`hint: ${d.hint}`] : [])].join("\n"),
      range: { start: doc.positionAt(d.span.start), end: doc.positionAt(d.span.end) },
    }));
    void connection.sendDiagnostics({ uri, version, diagnostics });
  };

  const schedule = (uri: string) => {
    clearTimeout(timers.get(uri));
    timers.set(uri, setTimeout(() => {
      timers.delete(uri);
      publish(uri);
    }, DEBOUNCE_MS));
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      documentFormattingProvider: true,
      completionProvider: { triggerCharacters: ["(", ",", " "] },
    },
    serverInfo: { name: "dlg" },
  }));

  documents.onDidChangeContent((change) => schedule(change.document.uri));
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    checked.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onHover(({ textDocument, position }): Hover | null => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return null;
    const offset = doc.offsetAt(position);
    const { result } = check(doc);
    const word = wordAt(doc.getText(), offset);
    const check_ = result.check;
    if (!check_ || !word) return null;
    // A binding (at its definition or a use): its inferred type.
    // The binding of that name in force at the cursor: the last one defined before it, else any.
    const named = check_.bindings.filter((b) => b.name === word.word);
    const binding = named.filter((b) => b.span.start <= offset).at(-1) ?? named[0];
    // A layer call: the parameters it creates, with their shapes.
    const params = check_.graph.params.filter((p) => {
      const span = check_.graph.nodes[p.node]?.span;
      return span !== undefined && span.start <= word.start && word.end <= span.end;
    });
    const builtin = builtins.get(word.word);
    const lines: string[] = [];
    if (binding && !builtin) lines.push(`\`${binding.name}: ${binding.type ? formatType(binding.type) : binding.description}\`${binding.repeated ? " (last repeat)" : ""}`);
    if (builtin) lines.push(`\`${builtin.name}(${builtin.params.map((p) => p.name).join(", ")})\`: ${builtin.summary}`);
    if (params.length > 0 && builtin) lines.push(...params.map((p) => `- \`${p.name}: ${formatType(p.type)}\``));
    if (lines.length === 0) return null;
    return { contents: { kind: MarkupKind.Markdown, value: lines.join("\n\n") }, range: { start: doc.positionAt(word.start), end: doc.positionAt(word.end) } };
  });

  connection.onDefinition(({ textDocument, position }): Location | null => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return null;
    const word = wordAt(doc.getText(), doc.offsetAt(position));
    if (!word) return null;
    const decl = blockDecls(check(doc).result.program).find((d) => d.name.name === word.word);
    if (!decl) return null;
    return { uri: doc.uri, range: { start: doc.positionAt(decl.name.span.start), end: doc.positionAt(decl.name.span.end) } };
  });

  connection.onCompletion(({ textDocument, position }): CompletionItem[] => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    const text = doc.getText();
    const offset = doc.offsetAt(position);
    const callee = enclosingCallee(text, offset);
    const items: CompletionItem[] = [];
    if (callee !== undefined) {
      const builtin = builtins.get(callee);
      const block = blockDecls(check(doc).result.program).find((d) => d.kind === "block" && d.name.name === callee);
      const named = builtin ? builtin.params.filter((p) => "default" in p).map((p) => p.name) : block ? block.params.map((p) => p.name.name) : [];
      for (const name of named) items.push({ label: `${name}:`, kind: CompletionItemKind.Property, insertText: `${name}: `, detail: `argument of ${callee}` });
    }
    for (const b of builtins.values()) items.push({ label: b.name, kind: CompletionItemKind.Function, detail: b.summary });
    for (const d of blockDecls(check(doc).result.program)) if (d.kind === "block") items.push({ label: d.name.name, kind: CompletionItemKind.Class, detail: "block" });
    for (const k of KEYWORDS) items.push({ label: k, kind: CompletionItemKind.Keyword });
    return items;
  });

  connection.onDocumentFormatting(({ textDocument }): TextEdit[] => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    const text = doc.getText();
    const parsed = parse(text, doc.uri);
    if (parsed.diagnostics.errorCount > 0) return [];
    const formatted = formatProgram(parsed.program, text);
    if (formatted === text) return [];
    return [{ range: { start: doc.positionAt(0), end: doc.positionAt(text.length) }, newText: formatted }];
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}
