// fused sigmoid, mul, sigmoid, tanh, mul, add, sigmoid, tanh, mul -> f32[4, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;

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
  let fx0 = src0[index];
  let ft0 = select(exp(fx0) / (1.0 + exp(fx0)), 1.0 / (1.0 + exp(-fx0)), fx0 >= 0.0);
  let fx1 = src1[index];
  let ft1 = (ft0 * fx1);
  let fx2 = src2[index];
  let ft2 = select(exp(fx2) / (1.0 + exp(fx2)), 1.0 / (1.0 + exp(-fx2)), fx2 >= 0.0);
  let fx3 = src3[index];
  let ft3 = dlg_tanh(fx3);
  let ft4 = (ft2 * ft3);
  let ft5 = (ft1 + ft4);
  let fx4 = src4[index];
  let ft6 = select(exp(fx4) / (1.0 + exp(fx4)), 1.0 / (1.0 + exp(-fx4)), fx4 >= 0.0);
  let ft7 = dlg_tanh(ft5);
  let ft8 = (ft6 * ft7);
  dst[index] = ft8;
}
