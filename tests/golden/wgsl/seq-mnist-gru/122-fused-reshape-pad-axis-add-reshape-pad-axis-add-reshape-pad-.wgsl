// fused reshape, pad_axis, add, reshape, pad_axis, add, reshape, pad_axis, add, reshape, pad_axis, add, reshape, pad_axis, add, reshape, pad_axis, add -> f32[4, 28, 128]
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
  let fx0 = src1[index];
  let fc0 = index / 3584u;
  let fc1 = (index / 128u) % 28u;
  let fc2 = (index) % 128u;
  let okfx1 = fc1 >= 5u && fc1 < 6u;
  let fx1 = select(0.0, src0[select(0u, u32(i32(fc0 * 128u + fc1 * 128u + fc2) - 640i), okfx1)], okfx1);
  let ft2 = (fx0 + fx1);
  let okfx2 = fc1 >= 4u && fc1 < 5u;
  let fx2 = select(0.0, src2[select(0u, u32(i32(fc0 * 128u + fc1 * 128u + fc2) - 512i), okfx2)], okfx2);
  let ft5 = (ft2 + fx2);
  let okfx3 = fc1 >= 3u && fc1 < 4u;
  let fx3 = select(0.0, src3[select(0u, u32(i32(fc0 * 128u + fc1 * 128u + fc2) - 384i), okfx3)], okfx3);
  let ft8 = (ft5 + fx3);
  let okfx4 = fc1 >= 2u && fc1 < 3u;
  let fx4 = select(0.0, src4[select(0u, u32(i32(fc0 * 128u + fc1 * 128u + fc2) - 256i), okfx4)], okfx4);
  let ft11 = (ft8 + fx4);
  let okfx5 = fc1 >= 1u && fc1 < 2u;
  let fx5 = select(0.0, src5[select(0u, u32(i32(fc0 * 128u + fc1 * 128u + fc2) - 128i), okfx5)], okfx5);
  let ft14 = (ft11 + fx5);
  let okfx6 = fc1 < 1u;
  let fx6 = select(0.0, src6[select(0u, fc0 * 128u + fc1 * 128u + fc2, okfx6)], okfx6);
  let ft17 = (ft14 + fx6);
  dst[index] = ft17;
}
