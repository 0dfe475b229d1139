import { ROOT } from "../helpers.js";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { OpDef } from "../../compiler/ops/define-op.js";
import { ops } from "../../compiler/ops/index.js";
import { registry } from "../../compiler/ir/registry.js";

const opsDir = join(ROOT, "compiler", "ops");

function isOpDef(x: unknown): x is OpDef {
  return typeof x === "object" && x !== null && "fusion" in x && "shape" in x && "name" in x;
}

describe("the op registry", () => {
  it("holds exactly the ops defined in compiler/ops/, each under its own name", async () => {
    const defined = new Set<OpDef>();
    for (const file of readdirSync(opsDir).filter((f) => f.endsWith(".ts") && f !== "index.ts")) {
      const mod = (await import(join(opsDir, file))) as Record<string, unknown>;
      for (const value of Object.values(mod)) {
        if (isOpDef(value)) defined.add(value);
        if (Array.isArray(value)) value.filter(isOpDef).forEach((v) => defined.add(v));
      }
    }
    expect([...defined].map((d) => d.name).sort()).toEqual([...registry.keys()].sort());
    for (const [name, def] of registry) expect(def.name).toBe(name);
    // The IR's registry holds the very definitions the code generator reads emitters from.
    expect([...registry.keys()].sort()).toEqual([...ops.keys()].sort());
    for (const [name, def] of ops) expect(registry.get(name)).toBe(def);
  });

  it("declares a fusion kind for every op, from the closed set the fusion pass understands", () => {
    for (const def of registry.values()) expect(["elementwise", "broadcast", "injective", "reduce", "opaque", "source"]).toContain(def.fusion);
  });
});
