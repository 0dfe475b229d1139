// fused sqrt, div, add, div, div, mul, sub -> f32[10]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 10u) { return; }
  let fx0 = src0[index];
  let ft0 = sqrt(fx0);
  let fx1 = src1[0u];
  let ft1 = (ft0 / fx1);
  let ft2 = (ft1 + 9.99999993922529e-9);
  let fx2 = src2[0u];
  let ft3 = (0.0010000000474974513 / fx2);
  let fx3 = src3[index];
  let ft4 = (fx3 / ft2);
  let ft5 = (ft3 * ft4);
  let fx4 = src4[index];
  let ft6 = (fx4 - ft5);
  dst[index] = select(ft6, src4[index], atomicLoad(&status[0]) != 0u);
}
