// transpose -> f32[4, 64, 4, 16]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 16384u) { return; }
  let c0 = index / 4096u;
  let c1 = (index / 64u) % 64u;
  let c2 = (index / 16u) % 4u;
  let c3 = (index) % 16u;
  dst[index] = src0[c0 * 4096u + c1 * 16u + c2 * 1024u + c3];
}
