// reduce_max -> f32[4, 4, 64, 1]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
var<private> dlg_neg_inf_bits: u32 = 0xff800000u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 1024u) { return; }
  let k0 = index;
  let base = k0 * 64u;
  var acc: f32 = bitcast<f32>(dlg_neg_inf_bits);
  for (var r = 0u; r < min(64u, arrayLength(&dst) + 64u); r++) {
    let q0 = r;
    acc = select(acc, src0[base + q0], src0[base + q0] > acc);
  }
  dst[index] = acc;
}
