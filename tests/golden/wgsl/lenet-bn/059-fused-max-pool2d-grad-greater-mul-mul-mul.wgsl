// fused max_pool2d_grad, greater, mul, mul, mul -> f32[4, 10, 10, 32]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(7) var<storage, read_write> dst2: array<f32>;

fn epilogue(fi: u32, fa: f32) {
  let fx0 = src2[fi];
  let ft1 = select(0.0, 1.0, fx0 > 0.0);
  let ft2 = (fa * ft1);
  let fc0 = fi / 3200u;
  let fc1 = (fi / 320u) % 10u;
  let fc2 = (fi / 32u) % 10u;
  let fc3 = (fi) % 32u;
  let fx1 = src3[fc3];
  let ft3 = (ft2 * fx1);
  let fx2 = src4[fi];
  let ft4 = (ft3 * fx2);
  dst[fi] = ft2;
  dst1[fi] = ft3;
  dst2[fi] = ft4;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 12800u) { return; }
  let ch = index % 32u;
  let x = (index / 32u) % 10u;
  let y = (index / 320u) % 10u;
  let b = index / 3200u;
  var acc = 0.0;
  for (var di = i32(min(2u, arrayLength(&dst) + 2u)) - 1i; di >= 0i; di--) {
    let ty = i32(y) - di;
    if (ty < 0i || ty % 2i != 0i || ty / 2i >= 5i) { continue; }
    let oi = u32(ty / 2i);
    for (var dj = i32(min(2u, arrayLength(&dst) + 2u)) - 1i; dj >= 0i; dj--) {
      let tx = i32(x) - dj;
      if (tx < 0i || tx % 2i != 0i || tx / 2i >= 5i) { continue; }
      let oj = u32(tx / 2i);
      let origin = ((b * 10u + oi * 2u) * 10u + oj * 2u) * 32u + ch;
      var best = origin;
      for (var di = 0u; di < min(2u, arrayLength(&dst) + 2u); di++) {
        for (var dj = 0u; dj < min(2u, arrayLength(&dst) + 2u); dj++) {
          let at = origin + (di * 10u + dj) * 32u;
          if (src0[at] > src0[best]) { best = at; }
        }
      }
      acc = acc + select(0.0, src1[((b * 5u + oi) * 5u + oj) * 32u + ch], best == index);
    }
  }
  epilogue(index, acc);
}
