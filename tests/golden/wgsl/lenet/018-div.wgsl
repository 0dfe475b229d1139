// div -> f32[]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 1u) { return; }
  let fx0 = src0[index];
  let ft0 = ((-1.0) / fx0);
  dst[index] = ft0;
}
