// concat -> f32[4, 64, 4]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 1024u) { return; }
  let o = index / 4u;
  let a = (index) % 4u;
  let r = 0u;
  if (a < 1u) {
    dst[index] = src0[o * 1u + a + r];
    return;
  }
  if (a < 2u) {
    dst[index] = src1[o * 1u + a - 1u + r];
    return;
  }
  if (a < 3u) {
    dst[index] = src2[o * 1u + a - 2u + r];
    return;
  }
  dst[index] = src3[o * 1u + a - 3u + r];
}
