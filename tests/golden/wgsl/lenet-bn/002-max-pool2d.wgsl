// max_pool2d -> f32[4, 14, 14, 16]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 12544u) { return; }
  let ch = index % 16u;
  let oj = (index / 16u) % 14u;
  let oi = (index / 224u) % 14u;
  let b = index / 3136u;
  let origin = ((b * 28u + oi * 2u) * 28u + oj * 2u) * 16u + ch;
  var best = origin;
  for (var di = 0u; di < min(2u, arrayLength(&dst) + 2u); di++) {
    for (var dj = 0u; dj < min(2u, arrayLength(&dst) + 2u); dj++) {
      let at = origin + (di * 28u + dj) * 16u;
      if (src0[at] > src0[best]) { best = at; }
    }
  }
  dst[index] = src0[best];
}
