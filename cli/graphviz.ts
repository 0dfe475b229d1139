// Graphviz compiled to WebAssembly (@viz-js/viz), so SVG needs no system Graphviz: `dlg graph --format svg` and the
// kernel graphs of `dlg compile --report`.
export type DotToSvg = (dot: string) => string;

export async function graphviz(): Promise<DotToSvg> {
  const { instance } = await import("@viz-js/viz");
  const viz = await instance();
  return (dot) => {
    const result = viz.render(dot, { format: "svg" });
    if (result.status !== "success") throw new Error(`graphviz could not lay out the graph: ${result.errors.map((e) => e.message).join("; ")}`);
    return result.output;
  };
}
