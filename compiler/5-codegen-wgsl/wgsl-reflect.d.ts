// wgsl_reflect ships its ES module without an `exports` map, so its deep import has no types of its own; these are
// the package's own declarations.
declare module "wgsl_reflect/wgsl_reflect.module.js" {
  export * from "wgsl_reflect/types/index.js";
}
