// slice -> f32[4, 16, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 8192u) { return; }
  let o = index / 2048u;
  let a = (index / 128u) % 16u;
  let r = index % 128u;
  dst[index] = src0[o * 3584u + (a + 0u) * 128u + r];
}
