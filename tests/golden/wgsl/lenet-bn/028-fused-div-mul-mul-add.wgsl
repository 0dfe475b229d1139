// fused div, mul, mul, add -> f32[32]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 32u) { return; }
  let fx0 = src0[index];
  let fx1 = src1[0u];
  let ft0 = (fx0 / fx1);
  let fx2 = src2[index];
  let ft1 = (fx2 * 0.8999999761581421);
  let ft2 = (ft0 * 0.10000000149011612);
  let ft3 = (ft1 + ft2);
  dst[index] = ft0;
  dst1[index] = select(ft3, src2[index], atomicLoad(&status[0]) != 0u);
}
