// fused mul, neg, add, mul, sub, mul, mul, sub, mul, mul -> f32[4, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst1: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 512u) { return; }
  let fx0 = src0[index];
  let fx1 = src1[index];
  let ft0 = (fx0 * fx1);
  let ft1 = (-ft0);
  let ft2 = (fx0 + ft1);
  let fx2 = src2[index];
  let ft3 = (fx2 * fx2);
  let ft4 = (1.0 - ft3);
  let ft5 = (ft2 * ft4);
  let fx3 = src3[index];
  let ft6 = (ft5 * fx3);
  let fx4 = src4[index];
  let ft7 = (1.0 - fx4);
  let ft8 = (fx4 * ft7);
  let ft9 = (ft6 * ft8);
  dst[index] = ft5;
  dst1[index] = ft9;
}
