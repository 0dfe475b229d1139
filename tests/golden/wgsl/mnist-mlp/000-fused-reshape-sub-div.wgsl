// fused reshape, sub, div -> f32[4, 784]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 3136u) { return; }
  let fc0 = index / 784u;
  let fc1 = (index) % 784u;
  let fx0 = src0[fc0 * 784u + fc1];
  let ft1 = (fx0 - 0.1307000070810318);
  let ft2 = (ft1 / 0.30809998512268066);
  dst[index] = ft2;
}
