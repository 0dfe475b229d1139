// fused reduce_sum, reshape, div -> f32[16]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
var<workgroup> partial: array<f32, 64>;

fn epilogue(fi: u32, fa: f32) {
  let fx0 = src1[0u];
  let ft2 = (fa / fx0);
  dst[fi] = ft2;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let group = wid.x;
  let k0 = group;
  let base = k0;
  var acc: f32 = 0.0;
  for (var r = lane; r < min(3136u, arrayLength(&dst) + 3136u); r += 64u) {
    let q0 = r;
    acc = acc + src0[base + q0 * 16u];
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
