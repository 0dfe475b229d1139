// fused reduce_sum, div -> f32[4, 1]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn epilogue(fi: u32, fa: f32) {
  let fx0 = src1[fi];
  let ft1 = (fa / fx0);
  dst[fi] = ft1;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 4u) { return; }
  let k0 = index;
  let base = k0 * 10u;
  var acc: f32 = 0.0;
  for (var r = 0u; r < min(10u, arrayLength(&dst) + 10u); r++) {
    let q0 = r;
    acc = acc + src0[base + q0];
  }
  epilogue(index, acc);
}
