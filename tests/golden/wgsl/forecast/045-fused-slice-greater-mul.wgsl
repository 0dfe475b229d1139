// fused slice, greater, mul -> f32[4, 64, 32]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 8192u) { return; }
  let fx0 = src1[index];
  let ft1 = select(0.0, 1.0, fx0 > 0.0);
  let fc0 = index / 2048u;
  let fc1 = (index / 32u) % 64u;
  let fc2 = (index) % 32u;
  let fx1 = src0[fc0 * 2240u + fc1 * 32u + fc2 + 192u];
  let ft2 = (fx1 * ft1);
  dst[index] = ft2;
}
