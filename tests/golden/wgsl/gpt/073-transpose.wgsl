// transpose -> f32[4, 4, 64, 64]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 65536u) { return; }
  let c0 = index / 16384u;
  let c1 = (index / 4096u) % 4u;
  let c2 = (index / 64u) % 64u;
  let c3 = (index) % 64u;
  dst[index] = src0[c0 * 16384u + c1 * 4096u + c2 + c3 * 64u];
}
