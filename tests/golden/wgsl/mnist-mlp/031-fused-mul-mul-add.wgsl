// fused mul, mul, add -> f32[512, 256]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 131072u) { return; }
  let fx0 = src0[index];
  let ft0 = (0.8999999761581421 * fx0);
  let fx1 = src1[index];
  let ft1 = (0.10000000149011612 * fx1);
  let ft2 = (ft0 + ft1);
  dst[index] = select(ft2, src0[index], atomicLoad(&status[0]) != 0u);
}
