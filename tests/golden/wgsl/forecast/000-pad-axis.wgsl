// pad_axis -> f32[4, 67, 1]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 268u) { return; }
  let o = index / 67u;
  let a = (index) % 67u;
  let r = 0u;
  var v = 0.0;
  if (a >= 3u && a < 67u) {
    v = src0[o * 64u + a - 3u + r];
  }
  dst[index] = v;
}
