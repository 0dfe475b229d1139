// fused slice, reshape, slice, slice, slice, slice, slice, slice, add, sigmoid, add, sigmoid, mul, add, tanh, sub, mul, add -> f32[4, 128]
@group(0) @binding(0) var<storage, read> src0: array<f32>;
@group(0) @binding(1) var<storage, read> src1: array<f32>;
@group(0) @binding(2) var<storage, read> src2: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

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
  let fc0 = index / 128u;
  let fc1 = (index) % 128u;
  let fx0 = src0[fc0 * 10752u + fc1 + 3456u];
  let fx1 = src1[fc0 * 384u + fc1];
  let ft8 = (fx0 + fx1);
  let ft9 = select(exp(ft8) / (1.0 + exp(ft8)), 1.0 / (1.0 + exp(-ft8)), ft8 >= 0.0);
  let fx2 = src0[fc0 * 10752u + fc1 + 3584u];
  let fx3 = src1[fc0 * 384u + fc1 + 128u];
  let ft10 = (fx2 + fx3);
  let ft11 = select(exp(ft10) / (1.0 + exp(ft10)), 1.0 / (1.0 + exp(-ft10)), ft10 >= 0.0);
  let fx4 = src1[fc0 * 384u + fc1 + 256u];
  let ft12 = (ft9 * fx4);
  let fx5 = src0[fc0 * 10752u + fc1 + 3712u];
  let ft13 = (fx5 + ft12);
  let ft14 = dlg_tanh(ft13);
  let fx6 = src2[index];
  let ft15 = (fx6 - ft14);
  let ft16 = (ft11 * ft15);
  let ft17 = (ft14 + ft16);
  dst[index] = ft17;
}
