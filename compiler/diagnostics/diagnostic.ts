// A Diagnostic is data (code, message, spans, hint); rendering to a terminal or to JSON happens only at the edge.
import { messages, type MessageKey, type MessageParams, type Severity } from "./messages.js";
import { LineIndex, type SourceFile, type Span } from "./span.js";

export interface Note {
  span: Span;
  label: string;
}

export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  file: string;
  span: Span;
  /** Text printed after the caret line, under the primary span. */
  label?: string;
  secondary?: Note[];
  hint?: string;
}

export interface DiagnosticExtras {
  label?: string;
  secondary?: Note[];
  hint?: string;
}

export function makeDiagnostic<K extends MessageKey>(
  file: string,
  key: K,
  span: Span,
  params: MessageParams<K>,
  extras: DiagnosticExtras = {},
): Diagnostic {
  const def = messages[key] as { code: string; severity: Severity; message: (p: MessageParams<K>) => string };
  const diagnostic: Diagnostic = { severity: def.severity, code: def.code, message: def.message(params), file, span };
  if (extras.label !== undefined) diagnostic.label = extras.label;
  if (extras.secondary !== undefined && extras.secondary.length > 0) diagnostic.secondary = extras.secondary;
  if (extras.hint !== undefined) diagnostic.hint = extras.hint;
  return diagnostic;
}

/** Collects diagnostics for one source file; handed to every phase instead of module-level state. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}

  report<K extends MessageKey>(key: K, span: Span, params: MessageParams<K>, extras: DiagnosticExtras = {}): Diagnostic {
    const d = makeDiagnostic(this.file, key, span, params, extras);
    this.items.push(d);
    return d;
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === "error").length;
  }
}

export interface JsonDiagnostic {
  severity: Severity;
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  hint?: string;
}

export function diagnosticToJson(d: Diagnostic, index: LineIndex): JsonDiagnostic {
  const start = index.position(d.span.start);
  const end = index.position(d.span.end);
  const json: JsonDiagnostic = {
    severity: d.severity,
    code: d.code,
    message: d.label ? `${d.message}: ${d.label}` : d.message,
    file: d.file,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
  };
  if (d.hint !== undefined) json.hint = d.hint;
  return json;
}

export interface RenderOptions {
  color?: boolean;
}

/**
 * Renders in the rustc style LANGUAGE.md shows: headline, `-->` location, the source line, carets under the span and
 * the label after them. Multi-line spans underline the first line only, to the end of that line.
 */
export function renderDiagnostic(d: Diagnostic, source: SourceFile, index = new LineIndex(source.text), opts: RenderOptions = {}): string {
  const paint = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sevColor = d.severity === "error" ? "1;31" : "1;33";
  const start = index.position(d.span.start);
  const notes = (d.secondary ?? []).map((n) => ({ note: n, pos: index.position(n.span.start) }));
  const lines = [start.line, ...notes.map((n) => n.pos.line)];
  const gutter = String(Math.max(...lines)).length;
  const pad = " ".repeat(gutter);
  const out: string[] = [];
  out.push(`${paint(sevColor, `${d.severity}[${d.code}]`)}${paint("1", `: ${d.message}`)}`);
  out.push(`${pad}${paint("1;34", "-->")} ${source.path}:${start.line}:${start.column}`);
  out.push(`${pad} ${paint("1;34", "|")}`);
  let shownLine = -1;
  const excerpt = (span: Span, label: string | undefined, caret: string, color: string) => {
    const s = index.position(span.start);
    const e = index.position(Math.max(span.start, span.end));
    const text = index.lineText(s.line);
    const lineEndCol = text.length + 1;
    const endCol = e.line === s.line ? Math.max(e.column, s.column + 1) : Math.max(lineEndCol, s.column + 1);
    const underline = " ".repeat(s.column - 1) + caret.repeat(endCol - s.column);
    // A note on the line just shown gets only its own underline, not a second copy of the line.
    if (s.line !== shownLine) out.push(`${paint("1;34", String(s.line).padStart(gutter) + " |")} ${expandTabs(text)}`);
    shownLine = s.line;
    out.push(`${pad} ${paint("1;34", "|")} ${paint(color, underline + (label ? ` ${label}` : ""))}`);
  };
  excerpt(d.span, d.label, "^", sevColor);
  for (const { note } of notes) excerpt(note.span, note.label, "-", "1;34");
  if (d.hint) out.push(`${pad} ${paint("1;34", "=")} hint: ${d.hint}`);
  return out.join("\n");
}

function expandTabs(line: string): string {
  // Carets are positioned by column; a tab rendered as one space keeps them aligned.
  return line.replace(/\t/g, " ");
}

export function renderAll(diagnostics: readonly Diagnostic[], source: SourceFile, opts: RenderOptions = {}): string {
  const index = new LineIndex(source.text);
  return diagnostics.map((d) => renderDiagnostic(d, source, index, opts)).join("\n\n");
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end || a.code.localeCompare(b.code));
}
