// fused max_pool2d_grad, greater, mul -> f32[4, 28, 28, 16]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

fn epilogue(fi: u32, fa: f32) {
  let fx0 = src2[fi];
  let ft1 = select(0.0, 1.0, fx0 > 0.0);
  let ft2 = (fa * ft1);
  dst[fi] = ft2;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 50176u) { return; }
  let ch = index % 16u;
  let x = (index / 16u) % 28u;
  let y = (index / 448u) % 28u;
  let b = index / 12544u;
  var acc = 0.0;
  for (var di = i32(min(2u, arrayLength(&dst) + 2u)) - 1i; di >= 0i; di--) {
    let ty = i32(y) - di;
    if (ty < 0i || ty % 2i != 0i || ty / 2i >= 14i) { continue; }
    let oi = u32(ty / 2i);
    for (var dj = i32(min(2u, arrayLength(&dst) + 2u)) - 1i; dj >= 0i; dj--) {
      let tx = i32(x) - dj;
      if (tx < 0i || tx % 2i != 0i || tx / 2i >= 14i) { continue; }
      let oj = u32(tx / 2i);
      let origin = ((b * 28u + oi * 2u) * 28u + oj * 2u) * 16u + ch;
      var best = origin;
      for (var di = 0u; di < min(2u, arrayLength(&dst) + 2u); di++) {
        for (var dj = 0u; dj < min(2u, arrayLength(&dst) + 2u); dj++) {
          let at = origin + (di * 28u + dj) * 16u;
          if (src0[at] > src0[best]) { best = at; }
        }
      }
      acc = acc + select(0.0, src1[((b * 14u + oi) * 14u + oj) * 16u + ch], best == index);
    }
  }
  epilogue(index, acc);
}
