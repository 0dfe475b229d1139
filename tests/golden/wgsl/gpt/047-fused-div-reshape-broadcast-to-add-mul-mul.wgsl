// fused div, reshape, broadcast_to, add, mul, mul -> f32[4, 4, 64, 64]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst1: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 65536u) { return; }
  let fx0 = src0[index];
  let fc0 = index / 16384u;
  let fc1 = (index / 4096u) % 4u;
  let fc2 = (index / 64u) % 64u;
  let fc3 = (index) % 64u;
  let fx1 = src1[fc0 * 256u + fc1 * 64u + fc2];
  let ft0 = (fx0 / fx1);
  let fx2 = src2[fc0 * 256u + fc1 * 64u + fc2];
  let ft2 = fx2;
  let ft3 = (ft0 + ft2);
  let fx3 = src3[index];
  let ft4 = (ft3 * fx3);
  let ft5 = (ft4 * 0.1767766922712326);
  dst[index] = ft4;
  dst1[index] = ft5;
}
