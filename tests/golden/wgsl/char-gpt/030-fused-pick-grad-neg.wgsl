// fused pick_grad, neg -> f32[4, 64, 256]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<i32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>, 2>;

fn epilogue(fi: u32, fa: f32) {
  let ft1 = (-fa);
  dst[fi] = fa;
  dst1[fi] = ft1;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 65536u) { return; }
  let row = index / 256u;
  let label = src1[row];
  if (index % 256u == 0u) {
    if (!(label >= 0i && label < 256i)) {
      atomicStore(&status[1], bitcast<u32>(label));
      atomicStore(&status[0], 2625308234u);
    }
  }
  epilogue(index, select(0.0, src0[row], label == i32(index % 256u)));
}
