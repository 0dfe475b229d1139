// fused mul, square, mul, add -> f32[256, 64]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 16384u) { return; }
  let fx0 = src0[index];
  let ft0 = (0.9990000128746033 * fx0);
  let fx1 = src1[index];
  let ft1 = (fx1 * fx1);
  let ft2 = (0.0010000000474974513 * ft1);
  let ft3 = (ft0 + ft2);
  dst[index] = select(ft3, src0[index], atomicLoad(&status[0]) != 0u);
}
