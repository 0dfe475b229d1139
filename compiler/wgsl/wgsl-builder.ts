// A WGSL source builder: lines with indentation, blocks that close themselves. Emitters write through it so that the
// generated kernels read like hand-written ones (and diff cleanly in golden tests).

export class WgslBuilder {
  private readonly out: string[] = [];
  private depth = 0;

  constructor(private readonly unit = "  ") {}

  /** One line at the current indentation (an empty call writes a blank line). */
  line(text = ""): this {
    this.out.push(text === "" ? "" : this.unit.repeat(this.depth) + text);
    return this;
  }

  lines(texts: readonly string[]): this {
    for (const t of texts) this.line(t);
    return this;
  }

  /** `header {`, the body one level deeper, then `}`; an empty header makes a bare compound statement (a scope). */
  block(header: string, body: () => void): this {
    this.line(header === "" ? "{" : `${header} {`);
    this.depth++;
    try {
      body();
    } finally {
      this.depth--;
    }
    return this.line("}");
  }

  /** Appends another builder's lines, indented to the current level. */
  append(other: WgslBuilder): this {
    for (const l of other.out) this.out.push(l === "" ? "" : this.unit.repeat(this.depth) + l);
    return this;
  }

  toString(): string {
    return this.out.join("\n") + "\n";
  }
}
