// gather_grad -> f32[256, 64]
@group(0) @binding(0) var<storage, read> src0: array<i32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 16384u) { return; }
  let row = i32(index / 64u);
  let d = index % 64u;
  var acc = 0.0;
  for (var j = 0u; j < min(256u, arrayLength(&dst) + 256u); j++) {
    let id = src0[j];
    if (index == 0u) {
      if (!(id >= 0i && id < 256i)) {
        atomicStore(&status[1], bitcast<u32>(id));
        atomicStore(&status[0], 1452550461u);
      }
    }
    if (id == row) { acc = acc + src1[j * 64u + d]; }
  }
  dst[index] = acc;
}
