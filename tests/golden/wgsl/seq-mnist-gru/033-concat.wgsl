// concat -> f32[4, 28, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 14336u) { return; }
  let o = index / 3584u;
  let a = (index / 128u) % 28u;
  let r = index % 128u;
  if (a < 16u) {
    dst[index] = src0[o * 2048u + (a) * 128u + r];
    return;
  }
  dst[index] = src1[o * 1536u + (a - 16u) * 128u + r];
}
