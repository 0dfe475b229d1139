// fused slice, mul, add, tanh, sub, mul, add -> f32[4, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst1: array<f32>;
@group(0) @binding(7) var<storage, read_write> dst2: array<f32>;

fn dlg_tanh(x: f32) -> f32 {
  let z = abs(x);
  if (z < 0.125) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-0.3333333333333333 + x2 * (0.13333333333333333 + x2 * -0.05396825396825397)));
  }
  let e = exp(-2.0 * z);
  return sign(x) * (1.0 - e) / (1.0 + e);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let index = (wid.x) * 64u + lane;
  if (index >= 512u) { return; }
  let fx0 = src1[index];
  let fx1 = src2[index];
  let ft1 = (fx0 * fx1);
  let fc0 = index / 128u;
  let fc1 = (index) % 128u;
  let fx2 = src0[fc0 * 384u + fc1 + 256u];
  let ft2 = (fx2 + ft1);
  let ft3 = dlg_tanh(ft2);
  let fx3 = src3[index];
  let ft4 = (fx3 - ft3);
  let fx4 = src4[index];
  let ft5 = (fx4 * ft4);
  let ft6 = (ft3 + ft5);
  dst[index] = ft3;
  dst1[index] = ft4;
  dst2[index] = ft6;
}
