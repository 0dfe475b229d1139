// slice -> f32[4, 4, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 2048u) { return; }
  let o = index / 512u;
  let a = (index / 128u) % 4u;
  let r = index % 128u;
  dst[index] = src0[o * 2048u + (a + 4u) * 128u + r];
}
