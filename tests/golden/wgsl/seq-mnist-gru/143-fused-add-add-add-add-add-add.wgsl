// fused add, add, add, add, add, add -> f32[4, 28, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read> src5: array<f32>;
@group(0) @binding(6) var<storage, read> src6: array<f32>;
@group(0) @binding(7) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 14336u) { return; }
  let fx0 = src0[index];
  let fx1 = src1[index];
  let ft0 = (fx0 + fx1);
  let fx2 = src2[index];
  let ft1 = (ft0 + fx2);
  let fx3 = src3[index];
  let ft2 = (ft1 + fx3);
  let fx4 = src4[index];
  let ft3 = (ft2 + fx4);
  let fx5 = src5[index];
  let ft4 = (ft3 + fx5);
  let fx6 = src6[index];
  let ft5 = (ft4 + fx6);
  dst[index] = ft5;
}
