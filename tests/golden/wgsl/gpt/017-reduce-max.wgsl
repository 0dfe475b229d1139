// reduce_max -> f32[4, 64, 1]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
var<workgroup> partial: array<f32, 64>;
var<private> dlg_neg_inf_bits: u32 = 0xff800000u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let group = wid.x;
  let k0 = group;
  let base = k0 * 512u;
  var acc: f32 = bitcast<f32>(dlg_neg_inf_bits);
  for (var r = lane; r < min(512u, arrayLength(&dst) + 512u); r += 64u) {
    let q0 = r;
    acc = select(acc, src0[base + q0], src0[base + q0] > acc);
  }
  partial[lane] = acc;
  workgroupBarrier();
  if (lane < 32u) {
    partial[lane] = select(partial[lane], partial[lane + 32u], partial[lane + 32u] > partial[lane]);
  }
  workgroupBarrier();
  if (lane < 16u) {
    partial[lane] = select(partial[lane], partial[lane + 16u], partial[lane + 16u] > partial[lane]);
  }
  workgroupBarrier();
  if (lane < 8u) {
    partial[lane] = select(partial[lane], partial[lane + 8u], partial[lane + 8u] > partial[lane]);
  }
  workgroupBarrier();
  if (lane < 4u) {
    partial[lane] = select(partial[lane], partial[lane + 4u], partial[lane + 4u] > partial[lane]);
  }
  workgroupBarrier();
  if (lane < 2u) {
    partial[lane] = select(partial[lane], partial[lane + 2u], partial[lane + 2u] > partial[lane]);
  }
  workgroupBarrier();
  if (lane < 1u) {
    partial[lane] = select(partial[lane], partial[lane + 1u], partial[lane + 1u] > partial[lane]);
  }
  workgroupBarrier();
  if (lane == 0u) {
    dst[group] = partial[0];
  }
}
