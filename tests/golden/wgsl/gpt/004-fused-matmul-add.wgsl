// fused matmul, add -> f32[4, 64, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
var<workgroup> tileA: array<f32, 1040>;
var<workgroup> tileB: array<f32, 1024>;

fn epilogue(fi: u32, fa: f32) {
  let fc0 = fi / 8192u;
  let fc1 = (fi / 128u) % 64u;
  let fc2 = (fi) % 128u;
  let fx0 = src2[fc2];
  let ft1 = (fa + fx0);
  dst[fi] = ft1;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let group = wid.x;
  let tile = group % 2u;
  let t = group / 2u;
  let row0 = 0u;
  let col0 = (tile % 2u) * 64u;
  let n0 = t;
  let aBase = (n0) * 8192u;
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
  for (var kt = 0u; kt < min(8u, arrayLength(&dst) + 8u); kt++) {
    let k0 = kt * 16u;
    {
      let e = lane;
      let r = e / 16u;
      let c = e % 16u;
      let g0 = row0 + r;
      let g1 = k0 + c;
      tileA[c * 65u + r] = src0[aBase + g0 * 128u + g1];
    }
    {
      let e = lane + 256u;
      let r = e / 16u;
      let c = e % 16u;
      let g0 = row0 + r;
      let g1 = k0 + c;
      tileA[c * 65u + r] = src0[aBase + g0 * 128u + g1];
    }
    {
      let e = lane + 512u;
      let r = e / 16u;
      let c = e % 16u;
      let g0 = row0 + r;
      let g1 = k0 + c;
      tileA[c * 65u + r] = src0[aBase + g0 * 128u + g1];
    }
    {
      let e = lane + 768u;
      let r = e / 16u;
      let c = e % 16u;
      let g0 = row0 + r;
      let g1 = k0 + c;
      tileA[c * 65u + r] = src0[aBase + g0 * 128u + g1];
    }
    {
      let e = lane;
      let r = e / 64u;
      let c = e % 64u;
      let g0 = k0 + r;
      let g1 = col0 + c;
      tileB[r * 64u + c] = src1[bBase + g0 * 128u + g1];
    }
    {
      let e = lane + 256u;
      let r = e / 64u;
      let c = e % 64u;
      let g0 = k0 + r;
      let g1 = col0 + c;
      tileB[r * 64u + c] = src1[bBase + g0 * 128u + g1];
    }
    {
      let e = lane + 512u;
      let r = e / 64u;
      let c = e % 64u;
      let g0 = k0 + r;
      let g1 = col0 + c;
      tileB[r * 64u + c] = src1[bBase + g0 * 128u + g1];
    }
    {
      let e = lane + 768u;
      let r = e / 64u;
      let c = e % 64u;
      let g0 = k0 + r;
      let g1 = col0 + c;
      tileB[r * 64u + c] = src1[bBase + g0 * 128u + g1];
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
  epilogue(t * 8192u + (row0 + ty) * 128u + (col0 + tx), acc0_0);
  epilogue(t * 8192u + (row0 + ty) * 128u + (col0 + tx + 16u), acc0_1);
  epilogue(t * 8192u + (row0 + ty) * 128u + (col0 + tx + 32u), acc0_2);
  epilogue(t * 8192u + (row0 + ty) * 128u + (col0 + tx + 48u), acc0_3);
  epilogue(t * 8192u + (row0 + ty + 16u) * 128u + (col0 + tx), acc1_0);
  epilogue(t * 8192u + (row0 + ty + 16u) * 128u + (col0 + tx + 16u), acc1_1);
  epilogue(t * 8192u + (row0 + ty + 16u) * 128u + (col0 + tx + 32u), acc1_2);
  epilogue(t * 8192u + (row0 + ty + 16u) * 128u + (col0 + tx + 48u), acc1_3);
  epilogue(t * 8192u + (row0 + ty + 32u) * 128u + (col0 + tx), acc2_0);
  epilogue(t * 8192u + (row0 + ty + 32u) * 128u + (col0 + tx + 16u), acc2_1);
  epilogue(t * 8192u + (row0 + ty + 32u) * 128u + (col0 + tx + 32u), acc2_2);
  epilogue(t * 8192u + (row0 + ty + 32u) * 128u + (col0 + tx + 48u), acc2_3);
  epilogue(t * 8192u + (row0 + ty + 48u) * 128u + (col0 + tx), acc3_0);
  epilogue(t * 8192u + (row0 + ty + 48u) * 128u + (col0 + tx + 16u), acc3_1);
  epilogue(t * 8192u + (row0 + ty + 48u) * 128u + (col0 + tx + 32u), acc3_2);
  epilogue(t * 8192u + (row0 + ty + 48u) * 128u + (col0 + tx + 48u), acc3_3);
}
