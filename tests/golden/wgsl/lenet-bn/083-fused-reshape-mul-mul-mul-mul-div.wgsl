// fused reshape, mul, mul, mul, mul, div -> f32[16]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 16u) { return; }
  let fx0 = src1[index];
  let ft1 = (fx0 * fx0);
  let ft2 = (fx0 * ft1);
  let ft3 = (ft2 * (-0.5));
  let fc0 = index;
  let fx1 = src0[fc0];
  let ft4 = (fx1 * ft3);
  let fx2 = src2[0u];
  let ft5 = (ft4 / fx2);
  dst[index] = ft5;
}
