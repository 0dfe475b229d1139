// fused sub, square -> f32[4, 64, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst1: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 32768u) { return; }
  let fx0 = src0[index];
  let fc0 = index / 8192u;
  let fc1 = (index / 128u) % 64u;
  let fc2 = (index) % 128u;
  let fx1 = src1[fc0 * 64u + fc1];
  let ft0 = (fx0 - fx1);
  let ft1 = (ft0 * ft0);
  dst[index] = ft0;
  dst1[index] = ft1;
}
