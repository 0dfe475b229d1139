// concat -> f32[4, 4, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 2048u) { return; }
  let o = index / 512u;
  let a = (index / 128u) % 4u;
  let r = index % 128u;
  if (a < 1u) {
    dst[index] = src0[o * 128u + (a) * 128u + r];
    return;
  }
  if (a < 2u) {
    dst[index] = src1[o * 128u + (a - 1u) * 128u + r];
    return;
  }
  if (a < 3u) {
    dst[index] = src2[o * 128u + (a - 2u) * 128u + r];
    return;
  }
  dst[index] = src3[o * 128u + (a - 3u) * 128u + r];
}
