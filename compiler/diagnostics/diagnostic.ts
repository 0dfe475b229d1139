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

/** Longer words (a 10,000-character name echoed back) are shortened in messages; the source snippet locates them. */
const MAX_WORD = 80;

/** Shortens every run of non-space characters longer than MAX_WORD to its start and end around an ellipsis. */
export function clipWords(text: string): string {
  return text.replace(new RegExp(`\\S{${MAX_WORD + 1},}`, "g"), (w) => `${w.slice(0, MAX_WORD - 20)}…${w.slice(-19)}`);
}

export function makeDiagnostic<K extends MessageKey>(
  file: string,
  key: K,
  span: Span,
  params: MessageParams<K>,
  extras: DiagnosticExtras = {},
): Diagnostic {
  const def = messages[key] as { code: string; severity: Severity; message: (p: MessageParams<K>) => string };
  const diagnostic: Diagnostic = { severity: def.severity, code: def.code, message: clipWords(def.message(params)), file, span };
  if (extras.label !== undefined) diagnostic.label = extras.label;
  if (extras.secondary !== undefined && extras.secondary.length > 0) diagnostic.secondary = extras.secondary;
  if (extras.hint !== undefined) diagnostic.hint = clipWords(extras.hint);
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

/** The one-line message tools show: the message, and the label under the caret when there is one. */
export function diagnosticMessage(d: Diagnostic): string {
  return d.label ? `${d.message}: ${d.label}` : d.message;
}

export function diagnosticToJson(d: Diagnostic, index: LineIndex): JsonDiagnostic {
  const start = index.position(d.span.start);
  const end = index.position(d.span.end);
  const json: JsonDiagnostic = {
    severity: d.severity,
    code: d.code,
    message: diagnosticMessage(d),
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
  out.push(`${paint(sevColor, `${d.severity}[${d.code}]`)}${paint("1", `: ${visible(d.message)}`)}`);
  out.push(`${pad}${paint("1;34", "-->")} ${source.path}:${start.line}:${start.column}`);
  out.push(`${pad} ${paint("1;34", "|")}`);
  let shownLine = -1;
  const excerpt = (span: Span, label: string | undefined, caret: string, color: string) => {
    const s = index.position(span.start);
    const e = index.position(Math.max(span.start, span.end));
    const full = index.lineText(s.line);
    const lineEndCol = full.length + 1;
    let endCol = e.line === s.line ? Math.max(e.column, s.column + 1) : Math.max(lineEndCol, s.column + 1);
    // A very long line (minified, generated, hostile) is shown as a window around the mistake.
    const from = full.length > MAX_SNIPPET ? Math.max(0, Math.min(s.column - 1 - SNIPPET_CONTEXT, full.length - MAX_SNIPPET)) : 0;
    const cut = from > 0 ? "…" : "";
    const text = cut + full.slice(from, from + MAX_SNIPPET) + (from + MAX_SNIPPET < full.length ? "…" : "");
    const startCol = s.column - from + cut.length;
    endCol = Math.min(endCol - from + cut.length, text.length + 1);
    const underline = " ".repeat(startCol - 1) + caret.repeat(Math.max(1, endCol - startCol));
    // A note on the line just shown gets only its own underline, not a second copy of the line.
    if (s.line !== shownLine) out.push(`${paint("1;34", String(s.line).padStart(gutter) + " |")} ${visible(expandTabs(text))}`);
    shownLine = s.line;
    out.push(`${pad} ${paint("1;34", "|")} ${paint(color, underline + (label ? ` ${label}` : ""))}`);
  };
  excerpt(d.span, d.label, "^", sevColor);
  for (const { note } of notes) excerpt(note.span, note.label, "-", "1;34");
  if (d.hint) out.push(`${pad} ${paint("1;34", "=")} hint: ${visible(d.hint)}`);
  return out.join("\n");
}

/** Source lines longer than this are shown as a window of this many characters around the mistake. */
const MAX_SNIPPET = 160;
const SNIPPET_CONTEXT = 60;

/**
 * Control characters as the visible symbols of Unicode's Control Pictures block (ESC as ␛), so a source file or a
 * name in it cannot send escape sequences to the user's terminal. One character each: carets stay aligned.
 */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? "\u2421" : "\ufffd";
  });
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
