// fused gather, add -> f32[4, 64, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<i32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>, 2>;

fn epilogue(fi: u32, fa: f32) {
  let fc0 = fi / 8192u;
  let fc1 = (fi / 128u) % 64u;
  let fc2 = (fi) % 128u;
  let fx0 = src2[fc1 * 128u + fc2];
  let ft1 = (fa + fx0);
  dst[fi] = ft1;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 32768u) { return; }
  let id = src1[index / 128u];
  if (!(id >= 0i && id < 512i)) {
    atomicStore(&status[1], bitcast<u32>(id));
    atomicStore(&status[0], 3732030352u);
  }
  epilogue(index, src0[u32(clamp(id, 0i, 511i)) * 128u + index % 128u]);
}
