// fused pick, mul -> f32[4, 64]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<i32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>, 2>;

fn epilogue(fi: u32, fa: f32) {
  let fc0 = fi / 64u;
  let fc1 = (fi) % 64u;
  let fx0 = src2[fc0];
  let ft1 = (fa * fx0);
  dst[fi] = ft1;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 256u) { return; }
  let label = src1[index];
  if (!(label >= 0i && label < 256i)) {
    atomicStore(&status[1], bitcast<u32>(label));
    atomicStore(&status[0], 2625308234u);
  }
  epilogue(index, src0[index * 256u + u32(clamp(label, 0i, 255i))]);
}
