// fused reshape, pad_axis, reshape, pad_axis, add, reshape, pad_axis, add, reshape, pad_axis, add -> f32[4, 28, 384]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 43008u) { return; }
  let fc0 = index / 10752u;
  let fc1 = (index / 384u) % 28u;
  let fc2 = (index) % 384u;
  let okfx0 = fc1 >= 27u && fc1 < 28u;
  let fx0 = select(0.0, src0[select(0u, u32(i32(fc0 * 384u + fc1 * 384u + fc2) - 10368i), okfx0)], okfx0);
  let okfx1 = fc1 >= 26u && fc1 < 27u;
  let fx1 = select(0.0, src1[select(0u, u32(i32(fc0 * 384u + fc1 * 384u + fc2) - 9984i), okfx1)], okfx1);
  let ft4 = (fx0 + fx1);
  let okfx2 = fc1 >= 25u && fc1 < 26u;
  let fx2 = select(0.0, src2[select(0u, u32(i32(fc0 * 384u + fc1 * 384u + fc2) - 9600i), okfx2)], okfx2);
  let ft7 = (ft4 + fx2);
  let okfx3 = fc1 >= 24u && fc1 < 25u;
  let fx3 = select(0.0, src3[select(0u, u32(i32(fc0 * 384u + fc1 * 384u + fc2) - 9216i), okfx3)], okfx3);
  let ft10 = (ft7 + fx3);
  dst[index] = ft10;
}
