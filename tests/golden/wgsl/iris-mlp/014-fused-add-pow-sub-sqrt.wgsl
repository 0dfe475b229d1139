// fused add, pow, sub, sqrt -> f32[]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 2>;

fn dlg_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (x == 0.0) { return select(0.0, bitcast<f32>(dlg_pos_inf_bits), y < 0.0); }
  let r = exp2(y * log2(abs(x)));
  if (x < 0.0) {
    if (fract(y) != 0.0) { return bitcast<f32>(dlg_nan_bits); }
    return select(r, -r, fract(y * 0.5) != 0.0);
  }
  return r;
}
var<private> dlg_pos_inf_bits: u32 = 0x7f800000u;
var<private> dlg_nan_bits: u32 = 0x7fc00000u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 1u) { return; }
  let fx0 = src0[index];
  let ft0 = (fx0 + 1.0);
  let ft1 = dlg_pow(0.9990000128746033, ft0);
  let ft2 = (1.0 - ft1);
  let ft3 = sqrt(ft2);
  dst[index] = select(ft0, src0[index], atomicLoad(&status[0]) != 0u);
  dst1[index] = ft3;
}
