// fused mul, reshape, broadcast_to, mul, mul, mul, add, neg -> f32[4, 84]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst1: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 336u) { return; }
  let fx0 = src0[index];
  let fc0 = index / 84u;
  let fc1 = (index) % 84u;
  let fx1 = src1[fc1];
  let ft0 = (fx0 * fx1);
  let fx2 = src2[fc1];
  let ft2 = fx2;
  let fx3 = src3[fc0];
  let ft3 = (ft2 * fx3);
  let fx4 = src4[index];
  let ft4 = (fx4 * 2.0);
  let ft5 = (ft3 * ft4);
  let ft6 = (ft0 + ft5);
  let ft7 = (-ft6);
  dst[index] = ft6;
  dst1[index] = ft7;
}
