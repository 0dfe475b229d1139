// fused reshape, pad_axis, add, reshape, pad_axis, add, reshape, pad_axis, add, reshape, pad_axis, add, reshape, pad_axis, add, reshape, pad_axis, add -> f32[4, 28, 384]
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
  if (index >= 43008u) { return; }
  let fx0 = src1[index];
  let fc0 = index / 10752u;
  let fc1 = (index / 384u) % 28u;
  let fc2 = (index) % 384u;
  let okfx1 = fc1 >= 23u && fc1 < 24u;
  let fx1 = select(0.0, src0[select(0u, u32(i32(fc0 * 384u + fc1 * 384u + fc2) - 8832i), okfx1)], okfx1);
  let ft2 = (fx0 + fx1);
  let okfx2 = fc1 >= 22u && fc1 < 23u;
  let fx2 = select(0.0, src2[select(0u, u32(i32(fc0 * 384u + fc1 * 384u + fc2) - 8448i), okfx2)], okfx2);
  let ft5 = (ft2 + fx2);
  let okfx3 = fc1 >= 21u && fc1 < 22u;
  let fx3 = select(0.0, src3[select(0u, u32(i32(fc0 * 384u + fc1 * 384u + fc2) - 8064i), okfx3)], okfx3);
  let ft8 = (ft5 + fx3);
  let okfx4 = fc1 >= 20u && fc1 < 21u;
  let fx4 = select(0.0, src4[select(0u, u32(i32(fc0 * 384u + fc1 * 384u + fc2) - 7680i), okfx4)], okfx4);
  let ft11 = (ft8 + fx4);
  let okfx5 = fc1 >= 19u && fc1 < 20u;
  let fx5 = select(0.0, src5[select(0u, u32(i32(fc0 * 384u + fc1 * 384u + fc2) - 7296i), okfx5)], okfx5);
  let ft14 = (ft11 + fx5);
  let okfx6 = fc1 >= 18u && fc1 < 19u;
  let fx6 = select(0.0, src6[select(0u, u32(i32(fc0 * 384u + fc1 * 384u + fc2) - 6912i), okfx6)], okfx6);
  let ft17 = (ft14 + fx6);
  dst[index] = ft17;
}
