// The one catalog of diagnostic codes and message templates. Phases never format user-facing text themselves.
//
// Code ranges: E0xx syntax, E1xx names/declarations/arguments, E2xx shapes and dtypes, E3xx command line and options.

export type Severity = "error" | "warning";

export interface MessageDef<P> {
  code: string;
  severity: Severity;
  message: (params: P) => string;
}

function error<P>(code: string, message: (params: P) => string): MessageDef<P> {
  return { code, severity: "error", message };
}
function warning<P>(code: string, message: (params: P) => string): MessageDef<P> {
  return { code, severity: "warning", message };
}

export const messages = {
  // --- syntax ---
  unexpectedCharacter: error("E001", (p: { text: string }) => `unexpected character ${JSON.stringify(p.text)}`),
  unterminatedString: error("E002", () => "unterminated string literal"),
  syntaxError: error("E003", (p: { found: string; expected: string }) => `expected ${p.expected}, found ${p.found}`),
  tooDeep: error("E004", (p: { limit: number }) => `expression nests more than ${p.limit} levels deep`),
  badNumber: error("E005", (p: { text: string }) => `malformed number ${p.text}`),
  emptyFile: error("E006", () => "the file defines no model"),

  // --- names, declarations, arguments ---
  undefinedName: error("E101", (p: { name: string }) => `undefined name \`${p.name}\``),
  unknownFunction: error("E102", (p: { name: string }) => `unknown op, layer or block \`${p.name}\``),
  missingArgument: error("E103", (p: { callee: string; param: string }) => `${p.callee}: missing argument \`${p.param}\``),
  tooManyArguments: error("E104", (p: { callee: string; max: number; given: number }) =>
    `${p.callee}: takes at most ${p.max} positional argument${p.max === 1 ? "" : "s"}, ${p.given} given`),
  unknownNamedArgument: error("E105", (p: { callee: string; name: string }) => `${p.callee}: no parameter named \`${p.name}\``),
  duplicateArgument: error("E106", (p: { callee: string; name: string }) => `${p.callee}: argument \`${p.name}\` given twice`),
  argumentKind: error("E107", (p: { callee: string; param: string; expected: string; actual: string }) =>
    `${p.callee}: \`${p.param}\` must be ${p.expected}, found ${p.actual}`),
  recursiveBlock: error("E108", (p: { cycle: string }) => `blocks call each other recursively: ${p.cycle}`),
  duplicateDefinition: error("E109", (p: { kind: string; name: string }) => `${p.kind} \`${p.name}\` is defined twice`),
  unknownModel: error("E110", (p: { name: string; available: string }) => `no model named \`${p.name}\` (models: ${p.available})`),
  noModel: error("E111", () => "the file defines no model"),
  several: error("E112", (p: { available: string }) => `the file defines several models (${p.available}); pick one with --model`),
  outputUndefined: error("E113", (p: { name: string }) => `output \`${p.name}\` is not defined`),
  statementNotAllowed: error("E114", (p: { what: string; where: string }) => `${p.what} is not allowed ${p.where}`),
  missingReturn: error("E115", (p: { block: string }) => `block \`${p.block}\` has no return statement`),
  notATensor: error("E116", (p: { what: string; actual: string }) => `${p.what} must be a tensor, found ${p.actual}`),
  notCompileTime: error("E117", (p: { what: string; actual: string }) => `${p.what} must be an integer known at compile time, found ${p.actual}`),
  badOperand: error("E118", (p: { op: string; left: string; right: string }) => `\`${p.op}\` cannot combine ${p.left} and ${p.right}`),
  unknownDtype: error("E119", (p: { name: string }) => `unknown dtype \`${p.name}\` (expected f32, i32 or f16)`),
  unknownType: error("E120", (p: { name: string }) => `unknown type \`${p.name}\` (expected int, float, bool, string or a tensor type)`),
  trainTwice: error("E121", () => "the model has more than one `train` statement"),
  badOptimizer: error("E122", (p: { name: string }) => `unknown optimizer \`${p.name}\` (expected sgd or adam)`),
  noOutput: warning("W101", (p: { model: string }) => `model \`${p.model}\` declares no output`),
  unusedValue: warning("W102", (p: { name: string }) => `\`${p.name}\` is computed but never used`),
  repeatCount: error("E123", (p: { count: string }) => `repeat count must be a non-negative integer known at compile time, found ${p.count}`),
  paramNotTrained: warning("W104", (p: { names: string[] }) =>
    `${p.names.length === 1 ? "parameter" : "parameters"} ${p.names.map((n) => `\`${n}\``).join(", ")} ${p.names.length === 1 ? "does" : "do"} not affect the loss, so training never changes ${p.names.length === 1 ? "it" : "them"}`),
  lossWithoutParams: warning("W105", () => "the loss depends on no parameter, so training changes nothing"),
  uncalledBlock: warning("W103", (p: { name: string }) => `block \`${p.name}\` is never called, so it was not checked`),
  unrollTooLarge: error("E125", (p: { count: string; limit: string }) => `this unrolls to at least ${p.count} statements, more than the limit of ${p.limit}`),
  graphTooLarge: error("E126", (p: { count: string; limit: string }) => `the model expands to ${p.count} operations here, more than the limit of ${p.limit}`),
  paramsTooLarge: error("E127", (p: { name: string; count: string; limit: string }) => `parameter \`${p.name}\` brings the model to ${p.count} parameters, more than the limit of ${p.limit}`),
  shadowedInput: error("E124", (p: { name: string }) => `input \`${p.name}\` shadows an earlier definition`),

  // --- shapes and dtypes ---
  matmulInner: error("E201", (p: { left: string; right: string }) => `matmul: inner dims differ (${p.left} vs ${p.right})`),
  broadcast: error("E202", (p: { op: string; axis: number; left: string; right: string }) =>
    `${p.op}: shapes do not broadcast (dim ${p.axis}: ${p.left} vs ${p.right})`),
  annotationMismatch: error("E203", (p: { name: string; declared: string; actual: string }) =>
    `\`${p.name}\` is declared ${p.declared} but its value is ${p.actual}`),
  returnMismatch: error("E204", (p: { block: string; declared: string; actual: string }) =>
    `block \`${p.block}\` returns ${p.actual}, but its signature says ${p.declared}`),
  argumentShape: error("E205", (p: { callee: string; param: string; declared: string; actual: string; detail: string }) =>
    `${p.callee}: argument \`${p.param}\` is ${p.actual}, expected ${p.declared} (${p.detail})`),
  inexactDivision: error("E206", (p: { left: string; right: string }) => `${p.left} is not divisible by ${p.right}`),
  reshapeCount: error("E207", (p: { from: string; to: string }) => `reshape: cannot reshape ${p.from} into ${p.to} (element counts differ)`),
  concatMismatch: error("E208", (p: { axis: number; index: number; detail: string }) =>
    `concat: input ${p.index} does not match input 0 outside axis ${p.axis} (${p.detail})`),
  axisRange: error("E209", (p: { op: string; axis: number; rank: number }) => `${p.op}: axis ${p.axis} is out of range for rank ${p.rank}`),
  rankMismatch: error("E210", (p: { op: string; expected: string; actual: string }) => `${p.op}: expected ${p.expected}, found ${p.actual}`),
  dtypeMismatch: error("E211", (p: { op: string; expected: string; actual: string }) => `${p.op}: expected ${p.expected}, found ${p.actual}`),
  windowTooLarge: error("E212", (p: { op: string; size: string; input: string }) => `${p.op}: window ${p.size} is larger than the input (${p.input})`),
  headsDivide: error("E213", (p: { heads: string; dim: string }) => `attention: ${p.heads} heads do not divide model dim ${p.dim}`),
  badPermutation: error("E214", (p: { perm: string; rank: number }) => `transpose: ${p.perm} is not a permutation of 0..${p.rank - 1}`),
  sliceRange: error("E215", (p: { start: string; end: string; size: string }) => `slice: range ${p.start}..${p.end} is outside 0..${p.size}`),
  labelShape: error("E216", (p: { logits: string; labels: string }) =>
    `cross_entropy: labels ${p.labels} must be logits ${p.logits} without the last axis`),
  lossNotScalar: error("E217", (p: { actual: string }) => `the training loss must be a scalar f32[], found ${p.actual}`),
  symbolicParam: error("E218", (p: { param: string; shape: string }) =>
    `parameter \`${p.param}\` has shape ${p.shape}, whose size depends on an input dim; parameters need sizes known at compile time`),
  badValue: error("E219", (p: { what: string; value: string; expected: string }) => `${p.what} is ${p.value}, expected ${p.expected}`),
  shapeMismatch: error("E220", (p: { op: string; left: string; right: string }) => `${p.op}: shapes differ (${p.left} vs ${p.right})`),
  negativeDim: error("E221", (p: { dim: string }) => `dim ${p.dim} is not positive`),
  scanState: error("E222", (p: { cell: string; detail: string }) => `scan: the step \`${p.cell}\` must return the state it is given: ${p.detail}`),
  scanCell: error("E128", (p: { actual: string }) => `scan: the first argument must name a block (the step), found ${p.actual}`),

  // --- command line ---
  badOverride: error("E301", (p: { text: string; reason: string }) => `--set ${p.text}: ${p.reason}`),
  badDim: error("E302", (p: { text: string; reason: string }) => `--dim ${p.text}: ${p.reason}`),
} as const;

export type MessageKey = keyof typeof messages;
export type MessageParams<K extends MessageKey> = (typeof messages)[K] extends MessageDef<infer P> ? P : never;
