// pad_axis -> f32[4, 76, 32]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 9728u) { return; }
  let o = index / 2432u;
  let a = (index / 32u) % 76u;
  let r = index % 32u;
  var v = 0.0;
  if (a >= 12u && a < 76u) {
    v = src0[o * 2048u + (a - 12u) * 32u + r];
  }
  dst[index] = v;
}
