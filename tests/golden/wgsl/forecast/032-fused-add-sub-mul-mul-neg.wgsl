// fused add, sub, mul, mul, neg -> f32[4, 1]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst2: array<f32>;
@group(0) @binding(7) var<storage, read_write> dst3: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 4u) { return; }
  let fx0 = src0[index];
  let fx1 = src1[0u];
  let ft0 = (fx0 + fx1);
  let fx2 = src2[index];
  let ft1 = (ft0 - fx2);
  let ft2 = (ft1 * 2.0);
  let fx3 = src3[index];
  let ft3 = (fx3 * ft2);
  let ft4 = (-ft3);
  dst[index] = ft0;
  dst1[index] = ft1;
  dst2[index] = ft3;
  dst3[index] = ft4;
}
