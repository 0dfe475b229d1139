// concat -> f32[4, 64, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 32768u) { return; }
  let o = index / 128u;
  let a = (index) % 128u;
  let r = 0u;
  if (a < 32u) {
    dst[index] = src0[o * 32u + a + r];
    return;
  }
  if (a < 64u) {
    dst[index] = src1[o * 32u + a - 32u + r];
    return;
  }
  if (a < 96u) {
    dst[index] = src2[o * 32u + a - 64u + r];
    return;
  }
  dst[index] = src3[o * 32u + a - 96u + r];
}
