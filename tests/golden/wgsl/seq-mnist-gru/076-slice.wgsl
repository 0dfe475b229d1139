// slice -> f32[4, 1, 384]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 1536u) { return; }
  let o = index / 384u;
  let a = (index / 384u) % 1u;
  let r = index % 384u;
  dst[index] = src0[o * 10752u + (a + 1u) * 384u + r];
}
