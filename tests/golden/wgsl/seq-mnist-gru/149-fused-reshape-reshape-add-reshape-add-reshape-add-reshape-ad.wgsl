// fused reshape, reshape, add, reshape, add, reshape, add, reshape, add, reshape, add, reshape, add -> f32[384]
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
  if (index >= 384u) { return; }
  let fc0 = index;
  let fx0 = src0[fc0];
  let fx1 = src1[fc0];
  let ft2 = (fx0 + fx1);
  let fx2 = src2[fc0];
  let ft4 = (ft2 + fx2);
  let fx3 = src3[fc0];
  let ft6 = (ft4 + fx3);
  let fx4 = src4[fc0];
  let ft8 = (ft6 + fx4);
  let fx5 = src5[fc0];
  let ft10 = (ft8 + fx5);
  let fx6 = src6[fc0];
  let ft12 = (ft10 + fx6);
  dst[index] = ft12;
}
