// conv2d_grad_input -> f32[4, 14, 14, 16]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 12544u) { return; }
  let c = index % 16u;
  let x = (index / 16u) % 14u;
  let y = (index / 224u) % 14u;
  let b = index / 3136u;
  var acc = 0.0;
  for (var ki = 0i; ki < i32(min(5u, arrayLength(&dst) + 5u)); ki++) {
    let ty = i32(y) + 0i - ki;
    if (ty < 0i || ty % 1i != 0i || ty / 1i >= 10i) { continue; }
    let oi = u32(ty / 1i);
    for (var kj = 0i; kj < i32(min(5u, arrayLength(&dst) + 5u)); kj++) {
      let tx = i32(x) + 0i - kj;
      if (tx < 0i || tx % 1i != 0i || tx / 1i >= 10i) { continue; }
      let oj = u32(tx / 1i);
      let gBase = ((b * 10u + oi) * 10u + oj) * 32u;
      let kBase = ((u32(ki) * 5u + u32(kj)) * 16u + c) * 32u;
      for (var f = 0u; f < min(32u, arrayLength(&dst) + 32u); f++) {
        acc = acc + src0[gBase + f] * src1[kBase + f];
      }
    }
  }
  dst[index] = acc;
}
