// dropout_mask -> f32[4, 256]
@group(0) @binding(0) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 1024u) { return; }
  dst[index] = 1.0;
}
