// reduce_sum -> f32[4, 64, 1]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 256u) { return; }
  let k0 = index;
  let base = k0 * 64u;
  var acc: f32 = 0.0;
  for (var r = 0u; r < min(64u, arrayLength(&dst) + 64u); r++) {
    let q0 = r;
    acc = acc + src0[base + q0];
  }
  dst[index] = acc;
}
