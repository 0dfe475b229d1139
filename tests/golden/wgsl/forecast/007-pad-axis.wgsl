// pad_axis -> f32[4, 70, 32]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 8960u) { return; }
  let o = index / 2240u;
  let a = (index / 32u) % 70u;
  let r = index % 32u;
  var v = 0.0;
  if (a >= 6u && a < 70u) {
    v = src0[o * 2048u + (a - 6u) * 32u + r];
  }
  dst[index] = v;
}
