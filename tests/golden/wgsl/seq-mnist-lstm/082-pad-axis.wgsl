// pad_axis -> f32[4, 28, 512]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 57344u) { return; }
  let o = index / 14336u;
  let a = (index / 512u) % 28u;
  let r = index % 512u;
  var v = 0.0;
  if (a >= 21u && a < 22u) {
    v = src0[o * 512u + (a - 21u) * 512u + r];
  }
  dst[index] = v;
}
