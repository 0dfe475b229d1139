// concat -> f32[4, 16, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 8192u) { return; }
  let o = index / 2048u;
  let a = (index / 128u) % 16u;
  let r = index % 128u;
  if (a < 4u) {
    dst[index] = src0[o * 512u + (a) * 128u + r];
    return;
  }
  if (a < 8u) {
    dst[index] = src1[o * 512u + (a - 4u) * 128u + r];
    return;
  }
  if (a < 12u) {
    dst[index] = src2[o * 512u + (a - 8u) * 128u + r];
    return;
  }
  dst[index] = src3[o * 512u + (a - 12u) * 128u + r];
}
