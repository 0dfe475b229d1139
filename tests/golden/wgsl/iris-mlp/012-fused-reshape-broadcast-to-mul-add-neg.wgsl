// fused reshape, broadcast_to, mul, add, neg -> f32[4, 3]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst1: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 12u) { return; }
  let fc0 = index / 3u;
  let fc1 = (index) % 3u;
  let fx0 = src0[fc0];
  let ft1 = fx0;
  let fx1 = src1[index];
  let ft2 = (ft1 * fx1);
  let fx2 = src2[index];
  let ft3 = (fx2 + ft2);
  let ft4 = (-ft3);
  dst[index] = ft3;
  dst1[index] = ft4;
}
