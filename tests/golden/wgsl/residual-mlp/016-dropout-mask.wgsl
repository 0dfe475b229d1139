// dropout_mask -> f32[4, 256]
@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> bits: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 1024u) { return; }
  let dropped = ((bits[index / 32u] >> (index % 32u)) & 1u) == 1u;
  dst[index] = select(1.1111111640930176, 0.0, dropped);
}
