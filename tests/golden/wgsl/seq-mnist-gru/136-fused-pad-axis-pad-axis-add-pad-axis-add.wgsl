// fused pad_axis, pad_axis, add, pad_axis, add -> f32[4, 384]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 1536u) { return; }
  let fc0 = index / 384u;
  let fc1 = (index) % 384u;
  let okfx0 = fc1 >= 256u && fc1 < 384u;
  let fx0 = select(0.0, src0[select(0u, u32(i32(fc0 * 128u + fc1) - 256i), okfx0)], okfx0);
  let okfx1 = fc1 >= 128u && fc1 < 256u;
  let fx1 = select(0.0, src1[select(0u, u32(i32(fc0 * 128u + fc1) - 128i), okfx1)], okfx1);
  let ft2 = (fx0 + fx1);
  let okfx2 = fc1 < 128u;
  let fx2 = select(0.0, src2[select(0u, fc0 * 128u + fc1, okfx2)], okfx2);
  let ft4 = (ft2 + fx2);
  dst[index] = ft4;
}
