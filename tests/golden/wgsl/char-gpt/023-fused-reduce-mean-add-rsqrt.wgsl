// fused reduce_mean, add, rsqrt -> f32[4, 64, 1]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

fn epilogue(fi: u32, fa: f32) {
  let ft1 = (fa + 0.000009999999747378752);
  let ft2 = (1.0 / sqrt(ft1));
  dst[fi] = ft2;
}

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
  epilogue(index, acc / 64.0);
}
