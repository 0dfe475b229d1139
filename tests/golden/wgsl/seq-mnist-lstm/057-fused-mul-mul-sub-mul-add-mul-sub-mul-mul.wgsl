// fused mul, mul, sub, mul, add, mul, sub, mul, mul -> f32[4, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read> src5: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst: array<f32>;
@group(0) @binding(7) var<storage, read_write> dst1: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 512u) { return; }
  let fx0 = src0[index];
  let fx1 = src1[index];
  let ft0 = (fx0 * fx1);
  let fx2 = src2[index];
  let ft1 = (fx2 * fx2);
  let ft2 = (1.0 - ft1);
  let ft3 = (ft0 * ft2);
  let fx3 = src3[index];
  let ft4 = (fx3 + ft3);
  let fx4 = src4[index];
  let ft5 = (ft4 * fx4);
  let fx5 = src5[index];
  let ft6 = (1.0 - fx5);
  let ft7 = (fx5 * ft6);
  let ft8 = (ft5 * ft7);
  dst[index] = ft4;
  dst1[index] = ft8;
}
