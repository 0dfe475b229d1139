// CSV files as datasets, for tabular data: one field per column, named by the header row.
//
// Parsing follows RFC 4180 (comma-separated, fields optionally in double quotes, `""` for a quote inside quotes,
// quoted fields may span lines), also accepting LF line ends, a UTF-8 byte-order mark, and blank or all-space lines
// (skipped). A column whose values are mostly numbers is numeric (f32 [N]; i32 [N] when every value is an integer
// and the column is named label, target, class or y); otherwise it is categorical, mapped to class indices 0..K-1
// in sorted order of its distinct values (i32 [N]). Any other irregularity is an error naming the line and column.
//
// Files are parsed twice (first to type the columns, then to convert) so that only categorical columns keep their
// strings; numeric cells go straight into typed arrays, which keeps a large file within a small multiple of its
// size in memory. Browser-safe: reading the files is runtime/node/data/csv.ts's job.
import { nameRecord } from "../records.js";
import type { HostTensor } from "../tensor.js";
import { DataError, echo, splitHoldout, type Dataset } from "./dataset.js";

const LABEL_NAMES = new Set(["label", "target", "class", "y"]);
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const F32_MAX = 3.4028234663852886e38;

/** A CSV source: its text and the name used in messages (a path). */
export interface CsvSource {
  text: string;
  source: string;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * Calls `visit` with each record's fields and the line it starts on (1-based), skipping blank lines. Throws a
 * DataError on a malformed quote.
 */
export function forEachCsvRecord(text: string, source: string, visit: (fields: string[], line: number) => void): void {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  let line = 1;
  const n = text.length;
  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    let sawQuote = false;
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        sawQuote = true;
        const quoteLine = line;
        let value = "";
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new DataError(`${source}: line ${quoteLine}, column ${fields.length + 1}: quoted field is never closed`);
          value += text.slice(i, q);
          line += countNewlines(text, i, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        const c = text.charCodeAt(i);
        if (i < n && c !== COMMA && c !== LF && c !== CR) {
          throw new DataError(`${source}: line ${line}, column ${fields.length + 1}: unexpected text after a closing quote (a quote inside a quoted field is written "")`);
        }
        fields.push(value);
      } else {
        const start = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) {
            throw new DataError(`${source}: line ${line}, column ${fields.length + 1}: a quote inside an unquoted field (quote the whole field and write the quote as "")`);
          }
          i++;
        }
        fields.push(text.slice(start, i));
      }
      if (text.charCodeAt(i) === COMMA) {
        i++;
        continue;
      }
      break;
    }
    // The record ends at CRLF, LF, a lone CR, or the end of the text.
    if (text.charCodeAt(i) === CR) i++;
    if (text.charCodeAt(i) === LF) i++;
    line++;
    if (fields.length === 1 && fields[0]!.trim() === "" && !sawQuote) continue; // blank (or all-space) line
    visit(fields, recordLine);
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let k = text.indexOf("\n", from); k >= 0 && k < to; k = text.indexOf("\n", k + 1)) count++;
  return count;
}

/** A value that parses as a finite decimal number, or undefined. */
function parseNumber(field: string): number | undefined {
  const t = field.trim();
  return NUMBER.test(t) ? Number(t) : undefined;
}

interface ColumnStats {
  numbers: number;
  texts: number;
}

/** What pass 1 learns about the files: the header and, per column, how many values look like numbers. */
function surveyColumns(sources: readonly CsvSource[]): { header: string[]; stats: ColumnStats[]; rows: number[] } {
  let header: string[] | undefined;
  let headerSource = "";
  const rows: number[] = [];
  let stats: ColumnStats[] = [];
  for (const { text, source } of sources) {
    let fileHeader: string[] | undefined;
    let count = 0;
    forEachCsvRecord(text, source, (fields, line) => {
      if (fileHeader === undefined) {
        fileHeader = checkHeader(fields, source, line);
        if (header === undefined) {
          header = fileHeader;
          headerSource = source;
          stats = header.map(() => ({ numbers: 0, texts: 0 }));
        } else if (fileHeader.join("\u0000") !== header.join("\u0000")) {
          throw new DataError(`${source}: header (${fileHeader.join(", ")}) differs from ${headerSource} (${header.join(", ")})`);
        }
        return;
      }
      if (fields.length !== fileHeader.length) {
        const plural = fields.length === 1 ? "field" : "fields";
        throw new DataError(`${source}: line ${line} has ${fields.length} ${plural} but the header has ${fileHeader.length}`);
      }
      for (let c = 0; c < fields.length; c++) {
        const f = fields[c]!;
        if (f.trim() === "") continue; // reported in pass 2 with its line
        if (parseNumber(f) !== undefined) stats[c]!.numbers++;
        else stats[c]!.texts++;
      }
      count++;
    });
    if (fileHeader === undefined) throw new DataError(`${source}: the file is empty; a CSV needs a header row naming its columns`);
    if (count === 0) throw new DataError(`${source}: no data rows after the header`);
    rows.push(count);
  }
  return { header: header!, stats, rows };
}

function checkHeader(fields: string[], source: string, line: number): string[] {
  const names = fields.map((f) => f.trim());
  if (names.every((name) => parseNumber(name) !== undefined)) {
    throw new DataError(`${source}: line ${line} looks like data (all numbers); the first row must name the columns`);
  }
  const seen = new Set<string>();
  names.forEach((name, c) => {
    if (name === "") throw new DataError(`${source}: line ${line}, column ${c + 1}: empty column name in the header`);
    if (seen.has(name)) throw new DataError(`${source}: line ${line}: column name \`${name}\` appears twice in the header`);
    seen.add(name);
  });
  return names;
}

type ColumnKind = "numeric" | "categorical";

/**
 * Parses CSV texts into the fields of a dataset: one record of fields per source (the train file, then optionally
 * the test file), with column types and class mappings shared by all of them.
 */
export function parseCsvSources(sources: readonly CsvSource[]): {
  header: string[];
  fields: Record<string, HostTensor>[];
  classNames: Record<string, string[]>;
  notes: string[];
} {
  const { header, stats, rows } = surveyColumns(sources);
  // Majority vote: a few stray words ("NA", "?") in a column of numbers are errors to report, not a reason to turn
  // the column into categories.
  const kinds: ColumnKind[] = stats.map((s) => (s.numbers >= s.texts && s.numbers > 0 ? "numeric" : "categorical"));

  // Pass 2: convert. Numeric columns go to Float64 first so integer-valued label columns can become i32 exactly.
  const numeric = sources.map((_, f) => header.map((_, c) => (kinds[c] === "numeric" ? new Float64Array(rows[f]!) : undefined)));
  const text = sources.map((_, f) => header.map((_, c) => (kinds[c] === "categorical" ? new Array<string>(rows[f]!) : undefined)));
  sources.forEach(({ text: body, source }, f) => {
    let row = -1; // the header is row -1
    forEachCsvRecord(body, source, (fields, line) => {
      if (row >= 0) {
        for (let c = 0; c < fields.length; c++) {
          const raw = fields[c]!;
          const where = `${source}: line ${line}, column ${c + 1} (\`${header[c]}\`)`;
          if (raw.trim() === "") throw new DataError(`${where}: empty value (dlg does not fill in missing values)`);
          if (kinds[c] === "categorical") {
            text[f]![c]![row] = raw.trim();
            continue;
          }
          const v = parseNumber(raw);
          if (v === undefined) {
            const s = stats[c]!;
            throw new DataError(`${where}: expected a number, got ${echo(raw)} (the column is numeric: ${s.numbers} of its ${s.numbers + s.texts} values are numbers)`);
          }
          if (Math.abs(v) > F32_MAX) throw new DataError(`${where}: ${echo(raw.trim())} is too large for f32`);
          numeric[f]![c]![row] = v;
        }
      }
      row++;
    });
  });

  const fields: Record<string, HostTensor>[] = sources.map(() => ({}));
  const classNames = nameRecord<string[]>();
  const notes: string[] = [];
  header.forEach((name, c) => {
    if (kinds[c] === "categorical") {
      const distinct = new Set<string>();
      for (const perFile of text) for (const v of perFile[c]!) distinct.add(v);
      // Code-unit order, not localeCompare: the mapping must not depend on the machine's locale.
      const classes = [...distinct].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const index = new Map(classes.map((v, i) => [v, i]));
      classNames[name] = classes;
      const shown = classes.slice(0, 12).map((v, i) => `${v}=${i}`).join(", ");
      notes.push(`column \`${name}\` is categorical, ${classes.length} classes: ${shown}${classes.length > 12 ? ", ..." : ""}`);
      text.forEach((perFile, f) => {
        const values = perFile[c]!;
        define(fields[f]!, name, { dtype: "i32", shape: [values.length], data: Int32Array.from(values, (v) => index.get(v)!) });
      });
      return;
    }
    const columns = numeric.map((perFile) => perFile[c]!);
    const integral = columns.every((col) => col.every((v) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647));
    if (LABEL_NAMES.has(name.toLowerCase()) && integral) {
      notes.push(`column \`${name}\` holds integer class labels (i32)`);
      columns.forEach((col, f) => define(fields[f]!, name, { dtype: "i32", shape: [col.length], data: Int32Array.from(col) }));
    } else {
      columns.forEach((col, f) => define(fields[f]!, name, { dtype: "f32", shape: [col.length], data: Float32Array.from(col) }));
    }
  });
  return { header, fields, classNames, notes };
}

/** Sets an own property, even for a column named `__proto__` (plain assignment would set the prototype). */
function define(record: Record<string, HostTensor>, name: string, t: HostTensor): void {
  Object.defineProperty(record, name, { value: t, enumerable: true, writable: true, configurable: true });
}

/**
 * A dataset from CSV text (the train file, and optionally a test file); without a test file, `holdout` of the rows
 * (default 0.2) are held out by a seeded shuffle.
 */
export function csvDataset(name: string, train: CsvSource, test: CsvSource | undefined, holdout = 0.2): Dataset {
  const parsed = parseCsvSources(test === undefined ? [train] : [train, test]);
  const base = { name, fieldOrder: parsed.header, classNames: parsed.classNames, notes: parsed.notes };
  if (test !== undefined) return { ...base, train: parsed.fields[0]!, test: parsed.fields[1]! };
  return { ...base, ...splitHoldout(parsed.fields[0]!, holdout, train.source) };
}
