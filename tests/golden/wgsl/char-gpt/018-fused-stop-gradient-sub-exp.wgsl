// fused stop_gradient, sub, exp -> f32[4, 64, 256]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst1: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 65536u) { return; }
  let fc0 = index / 16384u;
  let fc1 = (index / 256u) % 64u;
  let fc2 = (index) % 256u;
  let fx0 = src0[fc0 * 64u + fc1];
  let ft0 = fx0;
  let fx1 = src1[index];
  let ft1 = (fx1 - ft0);
  let ft2 = exp(ft1);
  dst[index] = ft1;
  dst1[index] = ft2;
}
