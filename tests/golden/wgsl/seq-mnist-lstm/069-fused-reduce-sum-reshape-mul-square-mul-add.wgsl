// fused reduce_sum, reshape, mul, square, mul, add -> f32[28, 512]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>, 2>;

fn epilogue(fi: u32, fa: f32) {
  let fx0 = src1[fi];
  let ft2 = (0.9990000128746033 * fx0);
  let ft3 = (fa * fa);
  let ft4 = (0.0010000000474974513 * ft3);
  let ft5 = (ft2 + ft4);
  dst[fi] = fa;
  dst1[fi] = select(ft5, src1[fi], atomicLoad(&status[0]) != 0u);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 14336u) { return; }
  let k0 = index;
  let base = k0;
  var acc: f32 = 0.0;
  for (var r = 0u; r < min(4u, arrayLength(&dst) + 4u); r++) {
    let q0 = r;
    acc = acc + src0[base + q0 * 14336u];
  }
  epilogue(index, acc);
}
