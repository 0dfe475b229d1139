// fused reshape, add, reshape, add, reduce_sum, reshape, add, mul, square, mul, add -> f32[512]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(7) var<storage, read_write> status: array<atomic<u32>, 2>;

fn epilogue(fi: u32, fa: f32) {
  let fx0 = src2[fi];
  let fc0 = fi;
  let fx1 = src1[fc0];
  let ft1 = (fx0 + fx1);
  let fx2 = src3[fc0];
  let ft3 = (ft1 + fx2);
  let ft6 = (ft3 + fa);
  let fx3 = src4[fi];
  let ft7 = (0.9990000128746033 * fx3);
  let ft8 = (ft6 * ft6);
  let ft9 = (0.0010000000474974513 * ft8);
  let ft10 = (ft7 + ft9);
  dst[fi] = ft6;
  dst1[fi] = select(ft10, src4[fi], atomicLoad(&status[0]) != 0u);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 512u) { return; }
  let k0 = index;
  let base = k0;
  var acc: f32 = 0.0;
  for (var r = 0u; r < min(4u, arrayLength(&dst) + 4u); r++) {
    let q0 = r;
    acc = acc + src0[base + q0 * 512u];
  }
  epilogue(index, acc);
}
