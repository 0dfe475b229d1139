// fused add, sigmoid, add, sigmoid, mul, add, tanh, sub, mul, add -> f32[4, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read> src3: array<f32>;
@group(0) @binding(4) var<storage, read> src4: array<f32>;
@group(0) @binding(5) var<storage, read> src5: array<f32>;
@group(0) @binding(6) var<storage, read> src6: array<f32>;
@group(0) @binding(7) var<storage, read_write> dst: array<f32>;

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
  let fx1 = src1[index];
  let ft0 = (fx0 + fx1);
  let ft1 = select(exp(ft0) / (1.0 + exp(ft0)), 1.0 / (1.0 + exp(-ft0)), ft0 >= 0.0);
  let fx2 = src2[index];
  let fx3 = src3[index];
  let ft2 = (fx2 + fx3);
  let ft3 = select(exp(ft2) / (1.0 + exp(ft2)), 1.0 / (1.0 + exp(-ft2)), ft2 >= 0.0);
  let fx4 = src4[index];
  let ft4 = (ft1 * fx4);
  let fx5 = src5[index];
  let ft5 = (fx5 + ft4);
  let ft6 = dlg_tanh(ft5);
  let fx6 = src6[index];
  let ft7 = (fx6 - ft6);
  let ft8 = (ft3 * ft7);
  let ft9 = (ft6 + ft8);
  dst[index] = ft9;
}
