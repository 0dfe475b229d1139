// transpose -> f32[4, 64, 4, 32]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 32768u) { return; }
  let c0 = index / 8192u;
  let c1 = (index / 128u) % 64u;
  let c2 = (index / 32u) % 4u;
  let c3 = (index) % 32u;
  dst[index] = src0[c0 * 8192u + c1 * 32u + c2 * 2048u + c3];
}
