// The two schedules of every op whose kernel is a matrix product C = A @ B, possibly batched, with A and B read through
// the op's own indexing (matmul's broadcast batches, a convolution's patches): tiled, with workgroup tiles of A and B
// in workgroup memory and a register block of C per invocation; and register-blocked alone, without workgroup memory.
// Every C element is written through the store hook exactly once, so either kernel takes a fused epilogue.
import type { KernelContext } from "./contract.js";
import type { WgslBuilder } from "./wgsl-builder.js";
import { u32 } from "./wgsl-values.js";

/** How a workgroup covers C: `tx` x `ty` invocations, each holding `rm` x `rn` elements; K staged `bk` at a time. */
export interface TileShape {
  tx: number;
  ty: number;
  rm: number;
  rn: number;
  bk: number;
}

/**
 * 16 x 16 invocations of 4 x 4 elements: a 64 x 64 tile of C, 8 KiB of workgroup memory, and per K step 8 shared
 * loads for 16 multiply-adds. The WebGPU default of 256 invocations per workgroup allows it everywhere.
 * Shaped for GPUs. On lavapipe any kernel with a workgroup barrier runs 3-5x slower than the register-blocked one
 * without (llvmpipe turns barriers into coroutines; bigger K steps or fewer invocations did not help, see
 * bench/gpu-matmul-bench.ts), and compiles several times slower, so software adapters opt out
 * (KernelLimits.workgroupTiling).
 */
export const DEFAULT_TILE: TileShape = { tx: 16, ty: 16, rm: 4, rn: 4, bk: 16 };

export interface Gemm {
  /** Independent products (batch elements); `batch` declares what the loads of product `t` need. */
  batches: number;
  m: number;
  n: number;
  k: number;
  batch(w: WgslBuilder, t: string): void;
  /** A[row, col] as an f32 expression; both u32 expressions in range. May declare lets (each load has its own scope). */
  a(w: WgslBuilder, row: string, col: string): string;
  b(w: WgslBuilder, row: string, col: string): string;
  /** The output index of C[row, col] in product `t`. */
  out(t: string, row: string, col: string): string;
}

/** Largest power of two not above n. */
function floorPow2(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** Row stride of the A tile: one past the tile's height, so invocations storing one row of A hit different banks. */
const aStride = (t: TileShape) => t.ty * t.rm + 1;

/**
 * The tile for these limits: `preferred` with its invocations halved (columns first) until the workgroup fits, or
 * undefined when its workgroup memory does not fit or the target runs better without it (then the op uses a kernel
 * without workgroup memory).
 */
export function fitTile(k: KernelContext, preferred: TileShape = DEFAULT_TILE): TileShape | undefined {
  if (k.limits.workgroupTiling === false) return undefined;
  const lanes = floorPow2(Math.min(preferred.tx * preferred.ty, k.limits.maxComputeWorkgroupSizeX, k.limits.maxComputeInvocationsPerWorkgroup));
  const t = { ...preferred };
  while (t.tx * t.ty > lanes) {
    if (t.tx >= t.ty) t.tx /= 2;
    else t.ty /= 2;
  }
  const bytes = 4 * t.bk * (aStride(t) + t.tx * t.rn);
  return bytes <= k.limits.maxComputeWorkgroupStorageSize ? t : undefined;
}

/**
 * Emits the tiled kernel: one workgroup per tile of C; per K step every invocation stages its share of the A and B
 * tiles (zero past the edges, so the inner loop has no branch), then multiplies its register block out of them.
 * An invocation's elements are strided by the workgroup's width, so neighbouring invocations read neighbouring
 * shared words and store neighbouring C elements.
 */
export function emitTiledGemm(k: KernelContext, g: Gemm, t: TileShape): void {
  const { tx, ty, rm, rn, bk } = t;
  const lanesWanted = tx * ty;
  const bm = ty * rm;
  const bn = tx * rn;
  const as = aStride(t);
  const tilesM = Math.ceil(g.m / bm);
  const tilesN = Math.ceil(g.n / bn);
  const tiles = tilesM * tilesN;
  const kTiles = Math.ceil(g.k / bk);
  k.perWorkgroup(g.batches * tiles, lanesWanted, (w, group, lane, lanes) => {
    if (lanes !== lanesWanted) throw new Error(`internal: a tiled matmul asked for ${lanesWanted} invocations and got ${lanes}`);
    if ((bm * bk) % lanes !== 0 || (bk * bn) % lanes !== 0) throw new Error(`internal: tile ${bm}x${bn}x${bk} does not split over ${lanes} invocations`);
    const tileA = k.shared("tileA", "f32", bk * as);
    const tileB = k.shared("tileB", "f32", bk * bn);
    w.line(`let tile = ${group} % ${u32(tiles)};`);
    w.line(`let t = ${g.batches === 1 ? "0u" : `${group} / ${u32(tiles)}`};`);
    w.line(`let row0 = ${tilesM === 1 ? "0u" : `(tile / ${u32(tilesN)}) * ${u32(bm)}`};`);
    w.line(`let col0 = ${tilesN === 1 ? "0u" : `(tile % ${u32(tilesN)}) * ${u32(bn)}`};`);
    g.batch(w, "t");
    w.line(`let tx = ${lane} % ${u32(tx)};`);
    w.line(`let ty = ${lane} / ${u32(tx)};`);
    const rows = [...Array(rm).keys()];
    const cols = [...Array(rn).keys()];
    for (const r of rows) for (const c of cols) w.line(`var acc${r}_${c} = 0.0;`);
    // Staging: invocation `lane` loads elements lane, lane + lanes, ... of the tile, walking it along its rows so that
    // neighbouring invocations read neighbouring global words.
    const stage = (count: number, width: number, body: (w: WgslBuilder, row: string, col: string) => void) => {
      for (let i = 0; i < count / lanes; i++) {
        w.block("", () => {
          w.line(`let e = ${lane}${i === 0 ? "" : ` + ${u32(i * lanes)}`};`);
          body(w, `e / ${u32(width)}`, `e % ${u32(width)}`);
        });
      }
    };
    /** `expr(clamped indices)`, or 0 outside [0, limit) on the dims that can pass their limits. */
    const guardedLoad = (w: WgslBuilder, coords: [string, number, boolean][], load: (at: string[]) => string): string => {
      const outside = coords.filter(([, , ragged]) => ragged);
      coords.forEach(([e, limit, ragged], i) => w.line(`let g${i} = ${ragged ? `min(${e}, ${u32(limit - 1)})` : e};`));
      const v = load(coords.map((_, i) => `g${i}`));
      return outside.length === 0 ? v : `select(0.0, ${v}, ${outside.map(([e, limit]) => `${e} < ${u32(limit)}`).join(" && ")})`;
    };
    const raggedM = g.m % bm !== 0;
    const raggedN = g.n % bn !== 0;
    const raggedK = g.k % bk !== 0;
    w.block(`for (var kt = 0u; kt < ${k.loopBound(kTiles)}; kt++)`, () => {
      w.line(`let k0 = kt * ${u32(bk)};`);
      stage(bm * bk, bk, (w, r, c) => {
        w.line(`let r = ${r};`);
        w.line(`let c = ${c};`);
        const v = guardedLoad(w, [["row0 + r", g.m, raggedM], ["k0 + c", g.k, raggedK]], ([row, col]) => g.a(w, row!, col!));
        w.line(`${tileA}[c * ${u32(as)} + r] = ${v};`);
      });
      stage(bk * bn, bn, (w, r, c) => {
        w.line(`let r = ${r};`);
        w.line(`let c = ${c};`);
        const v = guardedLoad(w, [["k0 + r", g.k, raggedK], ["col0 + c", g.n, raggedN]], ([row, col]) => g.b(w, row!, col!));
        w.line(`${tileB}[r * ${u32(bn)} + c] = ${v};`);
      });
      w.line("workgroupBarrier();");
      // An opaque bound: a constant one makes the driver unroll the whole step, which compiles slowly on lavapipe.
      w.block(`for (var kk = 0u; kk < ${k.loopBound(bk)}; kk++)`, () => {
        for (const r of rows) w.line(`let a${r} = ${tileA}[kk * ${u32(as)} + ty${r === 0 ? "" : ` + ${u32(r * ty)}`}];`);
        for (const c of cols) w.line(`let b${c} = ${tileB}[kk * ${u32(bn)} + tx${c === 0 ? "" : ` + ${u32(c * tx)}`}];`);
        for (const r of rows) for (const c of cols) w.line(`acc${r}_${c} = fma(a${r}, b${c}, acc${r}_${c});`);
      });
      w.line("workgroupBarrier();");
    });
    for (const r of rows) {
      const row = `row0 + ty${r === 0 ? "" : ` + ${u32(r * ty)}`}`;
      for (const c of cols) {
        const col = `col0 + tx${c === 0 ? "" : ` + ${u32(c * tx)}`}`;
        const conds = [...(raggedM ? [`${row} < ${u32(g.m)}`] : []), ...(raggedN ? [`${col} < ${u32(g.n)}`] : [])];
        const store = () => k.store(w, g.out("t", `(${row})`, `(${col})`), `acc${r}_${c}`);
        if (conds.length === 0) store();
        else w.block(`if (${conds.join(" && ")})`, store);
      }
    }
  });
}

/** The largest power of two not above n, at most `cap`. */
const pow2AtMost = (n: number, cap: number) => Math.min(cap, floorPow2(Math.max(1, n)));

/**
 * The same product without workgroup memory: each invocation holds a block of up to 8 x 8 elements of C in registers
 * and reads each A row and B column element once per k for the whole block. Consecutive invocations cover a square
 * of blocks (8 x 8 blocks per 64 invocations) rather than a row of them, so a workgroup's loads share cache lines of
 * both operands: on lavapipe that, with the bigger block, took 1024^3 from 8 to 14 GFLOP/s (bench/gpu-matmul-bench.ts),
 * past the best hand-written vec4 kernel there. Rows and columns past the edge are clamped for loading (no branch in
 * the k loop) and skipped when storing. What software adapters run, and the fallback where the tiles do not fit.
 */
export function emitBlockedGemm(k: KernelContext, g: Gemm): void {
  const tm = Math.min(8, g.m);
  const tn = Math.min(8, g.n);
  const tilesM = Math.ceil(g.m / tm);
  const tilesN = Math.ceil(g.n / tn);
  // Invocations in groups of gx x gy blocks; a grid smaller than a group keeps the group's shape within it.
  const gx = pow2AtMost(tilesN, 8);
  const gy = pow2AtMost(tilesM, 64 / gx);
  const groupsN = Math.ceil(tilesN / gx);
  const groupsM = Math.ceil(tilesM / gy);
  const perProduct = groupsM * groupsN * gx * gy;
  const rows = [...Array(tm).keys()];
  const cols = [...Array(tn).keys()];
  k.perElement(g.batches * perProduct, (w, i) => {
    w.line(`let slot = ${i} % ${u32(perProduct)};`);
    w.line(`let t = ${g.batches === 1 ? "0u" : `${i} / ${u32(perProduct)}`};`);
    w.line(`let grp = slot / ${u32(gx * gy)};`);
    w.line(`let cell = slot % ${u32(gx * gy)};`);
    w.line(`let row0 = ((grp / ${u32(groupsN)}) * ${u32(gy)} + cell / ${u32(gx)}) * ${u32(tm)};`);
    w.line(`let col0 = ((grp % ${u32(groupsN)}) * ${u32(gx)} + cell % ${u32(gx)}) * ${u32(tn)};`);
    // Blocks past the edge of a ragged grid of groups compute clamped garbage and store nothing.
    const spare = groupsM * gy !== tilesM || groupsN * gx !== tilesN;
    if (spare) w.line(`if (row0 >= ${u32(g.m)} || col0 >= ${u32(g.n)}) { return; }`);
    g.batch(w, "t");
    // Clamped only where a block can pass the edge: the min costs a tenth of the kernel's time on lavapipe.
    const clamp = (at: string, size: number, block: number) => (size % block === 0 ? at : `min(${at}, ${u32(size - 1)})`);
    for (const r of rows) w.line(`let ar${r} = ${clamp(`row0 + ${u32(r)}`, g.m, tm)};`);
    for (const c of cols) w.line(`let bc${c} = ${clamp(`col0 + ${u32(c)}`, g.n, tn)};`);
    for (const r of rows) for (const c of cols) w.line(`var acc${r}_${c} = 0.0;`);
    w.block(`for (var kk = 0u; kk < ${k.loopBound(g.k)}; kk++)`, () => {
      // Each load in its own scope: the op's loaders may declare lets of the same names.
      for (const r of rows) {
        w.line(`var a${r}: f32;`);
        w.block("", () => w.line(`a${r} = ${g.a(w, `ar${r}`, "kk")};`));
      }
      for (const c of cols) {
        w.line(`var b${c}: f32;`);
        w.block("", () => w.line(`b${c} = ${g.b(w, "kk", `bc${c}`)};`));
      }
      for (const r of rows) for (const c of cols) w.line(`acc${r}_${c} = fma(a${r}, b${c}, acc${r}_${c});`);
    });
    // The block leaves through a loop over a private copy, so whatever epilogue the store hook writes (an optimizer
    // update, say) appears once in the kernel rather than 64 times: unrolled, the MLP's training step took lavapipe
    // 29 s to compile; the copy costs 64 register moves per invocation against the k loop's 64 * K multiply-adds.
    w.line(`var cblock: array<f32, ${tm * tn}>;`);
    for (const r of rows) for (const c of cols) w.line(`cblock[${r * tn + c}] = acc${r}_${c};`);
    w.block(`for (var e = 0u; e < ${k.loopBound(tm * tn)}; e++)`, () => {
      w.line(`let row = row0 + e / ${u32(tn)};`);
      w.line(`let col = col0 + e % ${u32(tn)};`);
      const conds = [...(g.m % tm !== 0 ? [`row < ${u32(g.m)}`] : []), ...(g.n % tn !== 0 ? [`col < ${u32(g.n)}`] : [])];
      const store = () => k.store(w, g.out("t", "row", "col"), "cblock[e]");
      if (conds.length === 0) store();
      else w.block(`if (${conds.join(" && ")})`, store);
    });
  });
}
