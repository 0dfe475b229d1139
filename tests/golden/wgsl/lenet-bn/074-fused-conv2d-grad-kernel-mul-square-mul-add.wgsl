// fused conv2d_grad_kernel, mul, square, mul, add -> f32[5, 5, 1, 16]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>, 2>;
var<workgroup> partial: array<f32, 64>;

fn epilogue(fi: u32, fa: f32) {
  let fx0 = src2[fi];
  let ft1 = (0.9990000128746033 * fx0);
  let ft2 = (fa * fa);
  let ft3 = (0.0010000000474974513 * ft2);
  let ft4 = (ft1 + ft3);
  dst[fi] = fa;
  dst1[fi] = select(ft4, src2[fi], atomicLoad(&status[0]) != 0u);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let group = wid.x;
  let f = group % 16u;
  let c = (group / 16u) % 1u;
  let kj = (group / 16u) % 5u;
  let ki = group / 80u;
  var acc: f32 = 0.0;
  for (var r = lane; r < min(3136u, arrayLength(&dst) + 3136u); r += 64u) {
    let oj = r % 28u;
    let oi = (r / 28u) % 28u;
    let b = r / 784u;
    let y = i32(oi * 1u + ki) - 2i;
    let x = i32(oj * 1u + kj) - 2i;
    let inside = y >= 0i && y < 28i && x >= 0i && x < 28i;
    let src = ((b * 28u + u32(clamp(y, 0i, 27i))) * 28u + u32(clamp(x, 0i, 27i))) * 1u + c;
    acc = acc + select(0.0, src0[src] * src1[r * 16u + f], inside);
  }
  partial[lane] = acc;
  workgroupBarrier();
  if (lane < 32u) {
    partial[lane] = partial[lane] + partial[lane + 32u];
  }
  workgroupBarrier();
  if (lane < 16u) {
    partial[lane] = partial[lane] + partial[lane + 16u];
  }
  workgroupBarrier();
  if (lane < 8u) {
    partial[lane] = partial[lane] + partial[lane + 8u];
  }
  workgroupBarrier();
  if (lane < 4u) {
    partial[lane] = partial[lane] + partial[lane + 4u];
  }
  workgroupBarrier();
  if (lane < 2u) {
    partial[lane] = partial[lane] + partial[lane + 2u];
  }
  workgroupBarrier();
  if (lane < 1u) {
    partial[lane] = partial[lane] + partial[lane + 1u];
  }
  workgroupBarrier();
  if (lane == 0u) {
    epilogue(group, partial[0]);
  }
}
