// fused reduce_sum, div, sub, div, mul, mul, mul, add -> f32[84]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>, 2>;

fn epilogue(fi: u32, fa: f32) {
  let fx0 = src1[0u];
  let ft1 = (fa / fx0);
  let ft2 = (fx0 - 1.0);
  let ft3 = (fx0 / ft2);
  let ft4 = (ft1 * ft3);
  let fx1 = src2[fi];
  let ft5 = (fx1 * 0.8999999761581421);
  let ft6 = (ft4 * 0.10000000149011612);
  let ft7 = (ft5 + ft6);
  dst[fi] = ft1;
  dst1[fi] = select(ft7, src2[fi], atomicLoad(&status[0]) != 0u);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 84u) { return; }
  let k0 = index;
  let base = k0;
  var acc: f32 = 0.0;
  for (var r = 0u; r < min(4u, arrayLength(&dst) + 4u); r++) {
    let q0 = r;
    acc = acc + src0[base + q0 * 84u];
  }
  epilogue(index, acc);
}
