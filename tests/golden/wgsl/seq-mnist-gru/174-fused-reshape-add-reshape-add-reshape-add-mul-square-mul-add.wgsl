// fused reshape, add, reshape, add, reshape, add, mul, square, mul, add -> f32[64]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(7) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 64u) { return; }
  let fx0 = src1[index];
  let fc0 = index;
  let fx1 = src0[fc0];
  let ft1 = (fx0 + fx1);
  let fx2 = src2[fc0];
  let ft3 = (ft1 + fx2);
  let fx3 = src3[fc0];
  let ft5 = (ft3 + fx3);
  let fx4 = src4[index];
  let ft6 = (0.9990000128746033 * fx4);
  let ft7 = (ft5 * ft5);
  let ft8 = (0.0010000000474974513 * ft7);
  let ft9 = (ft6 + ft8);
  dst[index] = ft5;
  dst1[index] = select(ft9, src4[index], atomicLoad(&status[0]) != 0u);
}
