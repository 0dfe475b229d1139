// pad_axis -> f32[4, 88, 32]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 11264u) { return; }
  let o = index / 2816u;
  let a = (index / 32u) % 88u;
  let r = index % 32u;
  var v = 0.0;
  if (a >= 24u && a < 88u) {
    v = src0[o * 2048u + (a - 24u) * 32u + r];
  }
  dst[index] = v;
}
