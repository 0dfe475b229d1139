// fused add, matmul, add, mul, square, mul, add -> f32[128, 384]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(7) var<storage, read_write> status: array<atomic<u32>, 2>;
var<workgroup> tileA: array<f32, 1040>;
var<workgroup> tileB: array<f32, 1024>;

fn epilogue(fi: u32, fa: f32) {
  let fx0 = src2[fi];
  let fx1 = src3[fi];
  let ft0 = (fx0 + fx1);
  let ft2 = (ft0 + fa);
  let fx2 = src4[fi];
  let ft3 = (0.9990000128746033 * fx2);
  let ft4 = (ft2 * ft2);
  let ft5 = (0.0010000000474974513 * ft4);
  let ft6 = (ft3 + ft5);
  dst[fi] = ft2;
  dst1[fi] = select(ft6, src4[fi], atomicLoad(&status[0]) != 0u);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let group = wid.x;
  let tile = group % 12u;
  let t = 0u;
  let row0 = (tile / 6u) * 64u;
  let col0 = (tile % 6u) * 64u;
  let aBase = 0u;
  let bBase = 0u;
  let tx = lane % 16u;
  let ty = lane / 16u;
  var acc0_0 = 0.0;
  var acc0_1 = 0.0;
  var acc0_2 = 0.0;
  var acc0_3 = 0.0;
  var acc1_0 = 0.0;
  var acc1_1 = 0.0;
  var acc1_2 = 0.0;
  var acc1_3 = 0.0;
  var acc2_0 = 0.0;
  var acc2_1 = 0.0;
  var acc2_2 = 0.0;
  var acc2_3 = 0.0;
  var acc3_0 = 0.0;
  var acc3_1 = 0.0;
  var acc3_2 = 0.0;
  var acc3_3 = 0.0;
  for (var kt = 0u; kt < min(1u, arrayLength(&dst) + 1u); kt++) {
    let k0 = kt * 16u;
    {
      let e = lane;
      let r = e / 16u;
      let c = e % 16u;
      let g0 = row0 + r;
      let g1 = min(k0 + c, 3u);
      tileA[c * 65u + r] = select(0.0, src0[aBase + g1 * 128u + g0], k0 + c < 4u);
    }
    {
      let e = lane + 256u;
      let r = e / 16u;
      let c = e % 16u;
      let g0 = row0 + r;
      let g1 = min(k0 + c, 3u);
      tileA[c * 65u + r] = select(0.0, src0[aBase + g1 * 128u + g0], k0 + c < 4u);
    }
    {
      let e = lane + 512u;
      let r = e / 16u;
      let c = e % 16u;
      let g0 = row0 + r;
      let g1 = min(k0 + c, 3u);
      tileA[c * 65u + r] = select(0.0, src0[aBase + g1 * 128u + g0], k0 + c < 4u);
    }
    {
      let e = lane + 768u;
      let r = e / 16u;
      let c = e % 16u;
      let g0 = row0 + r;
      let g1 = min(k0 + c, 3u);
      tileA[c * 65u + r] = select(0.0, src0[aBase + g1 * 128u + g0], k0 + c < 4u);
    }
    {
      let e = lane;
      let r = e / 64u;
      let c = e % 64u;
      let g0 = min(k0 + r, 3u);
      let g1 = col0 + c;
      tileB[r * 64u + c] = select(0.0, src1[bBase + g0 * 384u + g1], k0 + r < 4u);
    }
    {
      let e = lane + 256u;
      let r = e / 64u;
      let c = e % 64u;
      let g0 = min(k0 + r, 3u);
      let g1 = col0 + c;
      tileB[r * 64u + c] = select(0.0, src1[bBase + g0 * 384u + g1], k0 + r < 4u);
    }
    {
      let e = lane + 512u;
      let r = e / 64u;
      let c = e % 64u;
      let g0 = min(k0 + r, 3u);
      let g1 = col0 + c;
      tileB[r * 64u + c] = select(0.0, src1[bBase + g0 * 384u + g1], k0 + r < 4u);
    }
    {
      let e = lane + 768u;
      let r = e / 64u;
      let c = e % 64u;
      let g0 = min(k0 + r, 3u);
      let g1 = col0 + c;
      tileB[r * 64u + c] = select(0.0, src1[bBase + g0 * 384u + g1], k0 + r < 4u);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < min(16u, arrayLength(&dst) + 16u); kk++) {
      let a0 = tileA[kk * 65u + ty];
      let a1 = tileA[kk * 65u + ty + 16u];
      let a2 = tileA[kk * 65u + ty + 32u];
      let a3 = tileA[kk * 65u + ty + 48u];
      let b0 = tileB[kk * 64u + tx];
      let b1 = tileB[kk * 64u + tx + 16u];
      let b2 = tileB[kk * 64u + tx + 32u];
      let b3 = tileB[kk * 64u + tx + 48u];
      acc0_0 = fma(a0, b0, acc0_0);
      acc0_1 = fma(a0, b1, acc0_1);
      acc0_2 = fma(a0, b2, acc0_2);
      acc0_3 = fma(a0, b3, acc0_3);
      acc1_0 = fma(a1, b0, acc1_0);
      acc1_1 = fma(a1, b1, acc1_1);
      acc1_2 = fma(a1, b2, acc1_2);
      acc1_3 = fma(a1, b3, acc1_3);
      acc2_0 = fma(a2, b0, acc2_0);
      acc2_1 = fma(a2, b1, acc2_1);
      acc2_2 = fma(a2, b2, acc2_2);
      acc2_3 = fma(a2, b3, acc2_3);
      acc3_0 = fma(a3, b0, acc3_0);
      acc3_1 = fma(a3, b1, acc3_1);
      acc3_2 = fma(a3, b2, acc3_2);
      acc3_3 = fma(a3, b3, acc3_3);
    }
    workgroupBarrier();
  }
  epilogue(t * 49152u + (row0 + ty) * 384u + (col0 + tx), acc0_0);
  epilogue(t * 49152u + (row0 + ty) * 384u + (col0 + tx + 16u), acc0_1);
  epilogue(t * 49152u + (row0 + ty) * 384u + (col0 + tx + 32u), acc0_2);
  epilogue(t * 49152u + (row0 + ty) * 384u + (col0 + tx + 48u), acc0_3);
  epilogue(t * 49152u + (row0 + ty + 16u) * 384u + (col0 + tx), acc1_0);
  epilogue(t * 49152u + (row0 + ty + 16u) * 384u + (col0 + tx + 16u), acc1_1);
  epilogue(t * 49152u + (row0 + ty + 16u) * 384u + (col0 + tx + 32u), acc1_2);
  epilogue(t * 49152u + (row0 + ty + 16u) * 384u + (col0 + tx + 48u), acc1_3);
  epilogue(t * 49152u + (row0 + ty + 32u) * 384u + (col0 + tx), acc2_0);
  epilogue(t * 49152u + (row0 + ty + 32u) * 384u + (col0 + tx + 16u), acc2_1);
  epilogue(t * 49152u + (row0 + ty + 32u) * 384u + (col0 + tx + 32u), acc2_2);
  epilogue(t * 49152u + (row0 + ty + 32u) * 384u + (col0 + tx + 48u), acc2_3);
  epilogue(t * 49152u + (row0 + ty + 48u) * 384u + (col0 + tx), acc3_0);
  epilogue(t * 49152u + (row0 + ty + 48u) * 384u + (col0 + tx + 16u), acc3_1);
  epilogue(t * 49152u + (row0 + ty + 48u) * 384u + (col0 + tx + 32u), acc3_2);
  epilogue(t * 49152u + (row0 + ty + 48u) * 384u + (col0 + tx + 48u), acc3_3);
}
