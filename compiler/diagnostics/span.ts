// Source positions: every AST node and diagnostic carries a Span of byte offsets into one source file.

export interface Span {
  /** Offset of the first character (0-based, UTF-16 code units). */
  start: number;
  /** Offset one past the last character. */
  end: number;
}

export interface SourceFile {
  path: string;
  text: string;
}

export interface LineCol {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

/** Maps offsets to 1-based lines and columns; built once per file because rendering many diagnostics scans it often. */
export class LineIndex {
  private readonly lineStarts: number[];

  constructor(readonly text: string) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
  }

  position(offset: number): LineCol {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - this.lineStarts[lo]! + 1 };
  }

  lineText(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length;
    const next = this.lineStarts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, "");
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }
}

export function spanCovering(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}
