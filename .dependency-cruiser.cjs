// The layers of ../shared/DESIGN.md as rules: each layer imports only what is below it. `npm test` runs these
// (tests/architecture.test.ts); a violation fails the suite with the offending import named.
const PHASES = ["1-parse", "2-check", "3-autodiff", "4-optimize", "5-codegen-wgsl"];

/** A phase imports only earlier phases (and the layers below them). */
const laterPhases = PHASES.slice(0, -1).map((phase, i) => ({
  name: `phase-${phase}-looks-down`,
  comment: `compiler/${phase} may import earlier phases only, never ${PHASES.slice(i + 1).join(", ")}`,
  severity: "error",
  from: { path: `^compiler/${phase}/` },
  to: { path: `^compiler/(${PHASES.slice(i + 1).join("|")})/` },
}));

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "import cycles tie layers together; break them by moving the shared piece down",
      severity: "error",
      from: { path: "^(compiler|runtime|sessions|cli|bench|web|testing|lsp)/" },
      to: { circular: true },
    },
    {
      name: "runtime-is-compiler-free",
      comment: "the runtime is what a web page ships: it imports nothing of the compiler, the sessions, the CLI or the benchmarks",
      severity: "error",
      from: { path: "^runtime/" },
      to: { path: "^(compiler|sessions|cli|bench|testing|lsp)/" },
    },
    {
      name: "exporters-read-the-ir",
      comment: "compiler/export turns a checked graph into other engines' formats: it reads the IR and nothing of the phases",
      severity: "error",
      from: { path: "^compiler/export/" },
      to: { path: "^(compiler|runtime|sessions|cli|bench)/", pathNot: "^compiler/(ir|diagnostics|export)/" },
    },
    {
      name: "web-page-ships-only-the-browser-runtime",
      comment: "web/ is the page `dlg compile --web` writes: it bundles the browser-safe runtime and nothing else",
      severity: "error",
      from: { path: "^web/" },
      to: { path: "^(compiler|sessions|cli|bench|runtime/node)/" },
    },
    {
      name: "runtime-is-browser-safe",
      comment: "outside runtime/node/, the runtime runs in a browser: no node: modules and nothing of runtime/node/",
      severity: "error",
      from: { path: "^runtime/", pathNot: "^runtime/node/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "runtime-core-below-node-helpers",
      comment: "runtime/node/ builds on the browser-safe runtime, never the other way round",
      severity: "error",
      from: { path: "^runtime/", pathNot: "^runtime/node/" },
      to: { path: "^runtime/node/" },
    },
    {
      name: "compiler-reads-only-the-manifest-contract",
      comment: "the compiler may import the runtime's manifest format (the contract it writes) and its limits, nothing else",
      severity: "error",
      from: { path: "^compiler/" },
      to: { path: "^runtime/", pathNot: "^runtime/(manifest|limits)\\.ts$" },
    },
    {
      name: "compiler-below-sessions-and-cli",
      comment: "the compiler knows nothing of the sessions, the CLI, the model tests or the benchmarks built on it",
      severity: "error",
      from: { path: "^compiler/" },
      to: { path: "^(sessions|cli|bench|testing|lsp)/" },
    },
    {
      name: "lsp-below-cli",
      comment: "lsp/ (the language server) builds on the compiler; the CLI only starts it",
      severity: "error",
      from: { path: "^lsp/" },
      to: { path: "^(cli|bench|sessions)/" },
    },
    {
      name: "testing-below-cli",
      comment: "testing/ (dlg test, dlg/testing) builds on the compiler and the sessions; the CLI prints what it finds",
      severity: "error",
      from: { path: "^testing/" },
      to: { path: "^(cli|bench)/" },
    },
    {
      name: "sessions-below-cli",
      severity: "error",
      from: { path: "^sessions/" },
      to: { path: "^(cli|bench)/" },
    },
    {
      name: "diagnostics-import-nothing",
      comment: "compiler/diagnostics is the bottom of the compiler",
      severity: "error",
      from: { path: "^compiler/diagnostics/" },
      to: { path: "^(compiler|runtime)/", pathNot: "^compiler/diagnostics/" },
    },
    {
      name: "ir-imports-diagnostics-only",
      comment: "the IR (graph, types, dims, builder, registry, interpreter) is the ground floor: it imports no phase, no op, no WGSL",
      severity: "error",
      from: { path: "^compiler/ir/" },
      to: { path: "^(compiler|runtime)/", pathNot: "^compiler/(ir|diagnostics)/" },
    },
    {
      name: "wgsl-kit-below-ops",
      comment: "the WGSL kit op emitters use imports the IR (and the runtime's limits), no op and no phase",
      severity: "error",
      from: { path: "^compiler/wgsl/" },
      to: { path: "^(compiler|runtime)/", pathNot: "^(compiler/(ir|diagnostics|wgsl)/|runtime/limits\\.ts$)" },
    },
    {
      name: "ops-below-phases",
      comment: "primitive ops import the IR and the WGSL kit, never a numbered phase",
      severity: "error",
      from: { path: "^compiler/ops/" },
      to: { path: "^(compiler|runtime)/", pathNot: "^compiler/(ir|diagnostics|wgsl|ops)/" },
    },
    {
      name: "optimizers-below-phases",
      comment: "optimizer definitions import the IR only: the checker reads their arguments and the training step their updates",
      severity: "error",
      from: { path: "^compiler/optimizers/" },
      to: { path: "^(compiler|runtime)/", pathNot: "^compiler/(ir|diagnostics|optimizers)/" },
    },
    {
      name: "parse-imports-diagnostics-only",
      severity: "error",
      from: { path: "^compiler/1-parse/" },
      to: { path: "^(compiler|runtime)/", pathNot: "^compiler/(1-parse|diagnostics)/" },
    },
    ...laterPhases,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
  },
};
