// pad_axis -> f32[4, 28, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 14336u) { return; }
  let o = index / 3584u;
  let a = (index / 128u) % 28u;
  let r = index % 128u;
  var v = 0.0;
  if (a >= 15u && a < 16u) {
    v = src0[o * 128u + (a - 15u) * 128u + r];
  }
  dst[index] = v;
}
