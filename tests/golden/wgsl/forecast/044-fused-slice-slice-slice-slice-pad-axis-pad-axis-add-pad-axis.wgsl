// fused slice, slice, slice, slice, pad_axis, pad_axis, add, pad_axis, add, pad_axis, add -> f32[4, 70, 32]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 8960u) { return; }
  let fc0 = index / 2240u;
  let fc1 = (index / 32u) % 70u;
  let fc2 = (index) % 32u;
  let okfx0 = fc1 >= 6u && fc1 < 70u;
  let fx0 = select(0.0, src0[select(0u, u32(i32(fc0 * 8192u + fc1 * 128u + fc2) - 672i), okfx0)], okfx0);
  let okfx1 = fc1 >= 4u && fc1 < 68u;
  let fx1 = select(0.0, src0[select(0u, u32(i32(fc0 * 8192u + fc1 * 128u + fc2) - 448i), okfx1)], okfx1);
  let ft6 = (fx0 + fx1);
  let okfx2 = fc1 >= 2u && fc1 < 66u;
  let fx2 = select(0.0, src0[select(0u, u32(i32(fc0 * 8192u + fc1 * 128u + fc2) - 224i), okfx2)], okfx2);
  let ft8 = (ft6 + fx2);
  let okfx3 = fc1 < 64u;
  let fx3 = select(0.0, src0[select(0u, fc0 * 8192u + fc1 * 128u + fc2, okfx3)], okfx3);
  let ft10 = (ft8 + fx3);
  dst[index] = ft10;
}
