// fused add, add, add -> f32[4, 70, 32]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 8960u) { return; }
  let fx0 = src0[index];
  let fx1 = src1[index];
  let ft0 = (fx0 + fx1);
  let fx2 = src2[index];
  let ft1 = (ft0 + fx2);
  let fx3 = src3[index];
  let ft2 = (ft1 + fx3);
  dst[index] = ft2;
}
