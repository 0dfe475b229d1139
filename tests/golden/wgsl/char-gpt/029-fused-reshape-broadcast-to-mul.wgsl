// fused reshape, broadcast_to, mul -> f32[4, 64]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 256u) { return; }
  let fx0 = src0[0u];
  let ft1 = fx0;
  let fc0 = index / 64u;
  let fc1 = (index) % 64u;
  let fx1 = src1[fc0];
  let ft2 = (ft1 * fx1);
  dst[index] = ft2;
}
