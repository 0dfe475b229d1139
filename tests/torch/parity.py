"""An independent oracle for dlg: the example models rebuilt by hand in PyTorch (float64), fed dlg's weights, and
their loss and gradients compared with what `dlg grad` computed.

usage: parity.py MODEL W.safetensors DATA.safetensors G.safetensors B [HYPERPARAMS_JSON]
                 [--test-data TEST.safetensors --run-json '{"loss": ..., "accuracy": ...}']
       parity.py --print-dlg conv-extra   (the .dlg source of the extra convolution model)

  MODEL    mnist-mlp | lenet | residual-mlp | gpt | iris-mlp | conv-extra (see CONV_EXTRA_DLG)
  W        the parameters (`dlg init` or a trained checkpoint; optimizer state tensors are ignored)
  DATA     tensors named after the model inputs; the first B rows are the batch `dlg grad` used
           (give dlg `--test-data` so its training split is DATA in file order)
  G        `dlg grad` output: one gradient per parameter, named like it, plus the scalar `loss`
  B        batch rows
  HYPERPARAMS_JSON  e.g. '{"vocab": 37, "d_model": 32}', the same values given to dlg with --set
  --test-data/--run-json  optional forward check: the JSON `dlg run --json` printed for TEST (mean loss over its
           rows and argmax accuracy) is compared with the torch model's on the same rows.

The models follow ../../shared/LANGUAGE.md (Numerical semantics, Parameter counts, Parameter names), written with
torch's own layers so that each dlg convention is an explicit conversion here:
  dense    dlg weight [in, out] (y = x @ W + b)        -> nn.Linear.weight [out, in] = W.T
  conv2d   dlg kernel [k, k, in, out], channels-last    -> nn.Conv2d.weight [out, in, k, k] = K.permute(3, 2, 0, 1),
           activations NHWC <-> NCHW; padding "same" is TensorFlow's (total = max((ceil(H/s)-1)*s + k - H, 0),
           top/left = total // 2, the odd extra pixel bottom/right)
  flatten  of channels-last [N, H, W, C] (row-major over H, W, C)
  layer_norm  gain/bias -> nn.LayerNorm.weight/bias, eps 1e-5, biased variance
  embedding   table [vocab, dim] -> nn.Embedding.weight
  attention   q, k, v, o dense(D) -> nn.MultiheadAttention(D, heads, batch_first=True):
              in_proj_weight = cat(Wq.T, Wk.T, Wv.T), in_proj_bias = cat(bq, bk, bv), out_proj = (Wo.T, bo);
              causal mask = keys after the query masked. Also recomputed by hand (heads split contiguously,
              scores / sqrt(D / heads)) and checked against torch's module, so LANGUAGE.md's equivalence claim is
              itself tested.
  gelu     exact (erf); cross_entropy mean over rows (GPT: over batch x positions); dropout: eval mode (identity),
           as `dlg grad` runs without dropout.

Exit status: 0 all agree, 1 a mismatch (each named), 2 bad usage or files that do not fit the model.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_default_dtype(torch.float64)
DT = torch.float64

# float32 (dlg) against float64 (here). An element passes when |dlg - torch| <= RTOL * max(|torch|, FLOOR): elements
# far smaller than their tensor's largest are held to an error relative to the tensor's scale, as float32
# accumulation gives them, with
#   FLOOR = max(FLOOR_FRACTION * max|torch| over the tensor, GLOBAL_FLOOR_FRACTION * max|torch| over all gradients)
# The global part matters for gradients that are exactly zero in exact arithmetic, e.g. attention's k.bias (softmax
# is invariant to adding q.bk to every score of a query): float32 leaves roundoff there (about 1e-9 of the largest
# gradient), float64 about 1e-18, and neither is a relative error of anything.
GRAD_RTOL = 1e-3
FLOOR_FRACTION = 1e-2
GLOBAL_FLOOR_FRACTION = 1e-5
LOSS_RTOL = 1e-5
# Forward check: a row whose two best logits are closer than this may legitimately flip its argmax in float32.
ARGMAX_MARGIN = 1e-4


class Fail(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------------
# Parameter mapping: dlg name -> (dlg shape, load into torch, read gradient back in dlg's layout)


class Mapping:
    def __init__(self):
        self.entries = []  # (dlg name, dlg shape, load(np.ndarray), grad() -> np.ndarray, torch description)

    def add(self, name, shape, load, grad, where):
        if any(e[0] == name for e in self.entries):
            raise AssertionError(f"duplicate mapping for {name}")
        self.entries.append((name, tuple(shape), load, grad, where))

    def plain(self, name, p, where):
        def load(a):
            with torch.no_grad():
                p.copy_(torch.from_numpy(a.astype(np.float64)))

        self.add(name, p.shape, load, lambda: _grad(p).numpy(), where)

    def linear(self, prefix, lin):
        w, b = lin.weight, lin.bias

        def load_w(a):
            with torch.no_grad():
                w.copy_(torch.from_numpy(a.astype(np.float64)).T)

        self.add(f"{prefix}.weight", (w.shape[1], w.shape[0]), load_w, lambda: _grad(w).T.numpy(), f"{prefix}: nn.Linear.weight.T")
        self.plain(f"{prefix}.bias", b, f"{prefix}: nn.Linear.bias")

    def conv(self, prefix, conv):
        w = conv.weight  # [out, in, kh, kw]

        def load_w(a):  # [kh, kw, in, out]
            with torch.no_grad():
                w.copy_(torch.from_numpy(a.astype(np.float64)).permute(3, 2, 0, 1))

        o, i, kh, kw = w.shape
        self.add(f"{prefix}.weight", (kh, kw, i, o), load_w, lambda: _grad(w).permute(2, 3, 1, 0).numpy(), f"{prefix}: nn.Conv2d.weight OIHW->HWIO")
        self.plain(f"{prefix}.bias", conv.bias, f"{prefix}: nn.Conv2d.bias")

    def recurrent(self, prefix, rnn):
        """nn.RNN/LSTM/GRU (one layer, batch_first): weights [G*H, in] -> dlg's [in, G*H], biases as they are."""
        for part in ("ih", "hh"):
            w = getattr(rnn, f"weight_{part}_l0")

            def load_w(a, w=w):
                with torch.no_grad():
                    w.copy_(torch.from_numpy(a.astype(np.float64)).T)

            self.add(f"{prefix}.weight_{part}", (w.shape[1], w.shape[0]), load_w, lambda w=w: _grad(w).T.numpy(), f"{prefix}: weight_{part}_l0.T")
        for part in ("ih", "hh"):
            self.plain(f"{prefix}.bias_{part}", getattr(rnn, f"bias_{part}_l0"), f"{prefix}: bias_{part}_l0")

    def layer_norm(self, prefix, ln):
        self.plain(f"{prefix}.gain", ln.weight, f"{prefix}: nn.LayerNorm.weight")
        self.plain(f"{prefix}.bias", ln.bias, f"{prefix}: nn.LayerNorm.bias")

    def embedding(self, prefix, emb):
        self.plain(f"{prefix}.table", emb.weight, f"{prefix}: nn.Embedding.weight")

    def attention(self, prefix, mha):
        d = mha.embed_dim
        wi, bi = mha.in_proj_weight, mha.in_proj_bias  # [3D, D], [3D]
        for j, part in enumerate("qkv"):
            rows = slice(j * d, (j + 1) * d)

            def load_w(a, rows=rows):
                with torch.no_grad():
                    wi[rows].copy_(torch.from_numpy(a.astype(np.float64)).T)

            def load_b(a, rows=rows):
                with torch.no_grad():
                    bi[rows].copy_(torch.from_numpy(a.astype(np.float64)))

            self.add(f"{prefix}.{part}.weight", (d, d), load_w, lambda rows=rows: _grad(wi)[rows].T.numpy(), f"{prefix}: in_proj_weight[{j}D:{j + 1}D].T")
            self.add(f"{prefix}.{part}.bias", (d,), load_b, lambda rows=rows: _grad(bi)[rows].numpy(), f"{prefix}: in_proj_bias[{j}D:{j + 1}D]")
        self.linear(f"{prefix}.o", mha.out_proj)


def _grad(p):
    return p.grad if p.grad is not None else torch.zeros_like(p)


# ---------------------------------------------------------------------------------------------------------------
# The models (hyperparameter defaults as in dsl-examples/*.dlg)


def cross_entropy(logits, labels):
    c = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, c), labels.reshape(-1).long(), reduction="mean")


class MnistMLP(nn.Module):
    defaults = {"h1": 512, "h2": 256, "drop": 0.2}
    inputs = ("image", "label")

    def __init__(self, h1, h2, drop):
        super().__init__()
        self.hidden1 = nn.Linear(784, h1)
        self.dropout = nn.Dropout(drop)
        self.hidden2 = nn.Linear(h1, h2)
        self.logits = nn.Linear(h2, 10)

    def mapping(self, m):
        m.linear("hidden1", self.hidden1)
        m.linear("hidden2", self.hidden2)
        m.linear("logits", self.logits)

    def forward(self, image, label):
        x = (image.reshape(image.shape[0], -1) - 0.1307) / 0.3081
        h1 = self.dropout(F.relu(self.hidden1(x)))
        h2 = F.relu(self.hidden2(h1))
        logits = self.logits(h2)
        return cross_entropy(logits, label), logits, label


def same_pad(x_nchw, kernel, stride):
    """TensorFlow "same" padding: output ceil(H / stride); the odd pixel of an odd total goes bottom/right."""
    _, _, h, w = x_nchw.shape

    def split(size):
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        return total // 2, total - total // 2

    top, bottom = split(h)
    left, right = split(w)
    return F.pad(x_nchw, (left, right, top, bottom))


class LeNet(nn.Module):
    defaults = {"c1": 16, "c2": 32, "f1": 128, "f2": 84, "classes": 10}
    inputs = ("image", "label")

    def __init__(self, c1, c2, f1, f2, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, 5)  # padding applied by hand ("same"), stride 1
        self.conv2 = nn.Conv2d(c1, c2, 5)  # "valid"
        self.fc1 = nn.Linear(5 * 5 * c2, f1)
        self.fc2 = nn.Linear(f1, f2)
        self.logits = nn.Linear(f2, classes)

    def mapping(self, m):
        m.conv("conv1", self.conv1)
        m.conv("conv2", self.conv2)
        m.linear("fc1", self.fc1)
        m.linear("fc2", self.fc2)
        m.linear("logits", self.logits)

    def forward(self, image, label):
        n = image.shape[0]
        x = ((image - 0.1307) / 0.3081).reshape(n, 28, 28, 1).permute(0, 3, 1, 2)  # NHWC -> NCHW
        conv1 = F.relu(self.conv1(same_pad(x, 5, 1)))  # [N, c1, 28, 28]
        pool1 = F.max_pool2d(conv1, 2, 2)
        conv2 = F.relu(self.conv2(pool1))  # [N, c2, 10, 10]
        pool2 = F.max_pool2d(conv2, 2, 2)
        features = pool2.permute(0, 2, 3, 1).reshape(n, -1)  # flatten channels-last [N, 5, 5, c2]
        fc1 = F.relu(self.fc1(features))
        fc2 = F.relu(self.fc2(fc1))
        logits = self.logits(fc2)
        return cross_entropy(logits, label), logits, label


class Residual(nn.Module):
    def __init__(self, d, hidden, drop=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(d, eps=1e-5)
        self.up = nn.Linear(d, hidden)
        self.dropout = nn.Dropout(drop)
        self.down = nn.Linear(hidden, d)

    def mapping(self, m, prefix):
        m.layer_norm(f"{prefix}.norm", self.norm)
        m.linear(f"{prefix}.up", self.up)
        m.linear(f"{prefix}.down", self.down)

    def forward(self, x):
        up = self.dropout(F.gelu(self.up(self.norm(x))))  # F.gelu default: exact erf form
        return x + self.down(up)


class ResidualMLP(nn.Module):
    defaults = {"width": 128, "expand": 2, "depth": 4}
    inputs = ("image", "label")

    def __init__(self, width, expand, depth):
        super().__init__()
        self.h = nn.Linear(784, width)
        self.blocks = nn.ModuleList([Residual(width, expand * width) for _ in range(depth)])
        self.final = nn.LayerNorm(width, eps=1e-5)
        self.logits = nn.Linear(width, 10)

    def mapping(self, m):
        m.linear("h", self.h)
        for i, b in enumerate(self.blocks):
            b.mapping(m, f"blocks.{i}.h")  # repeat `as blocks`, binding `h`
        m.layer_norm("final", self.final)
        m.linear("logits", self.logits)

    def forward(self, image, label):
        h = self.h(image.reshape(image.shape[0], -1))
        for b in self.blocks:
            h = b(h)
        logits = self.logits(self.final(h))
        return cross_entropy(logits, label), logits, label


def manual_attention(x, mha, heads, causal):
    """LANGUAGE.md's attention written out: dense q, k, v; contiguous heads; scores / sqrt(D/heads); mask; o."""
    b, t, d = x.shape
    dh = d // heads
    wq, wk, wv = mha.in_proj_weight.split(d)
    bq, bk, bv = mha.in_proj_bias.split(d)

    def heads_of(y):  # [B, T, D] -> [B, heads, T, D/heads]
        return y.reshape(b, t, heads, dh).permute(0, 2, 1, 3)

    q, k, v = heads_of(x @ wq.T + bq), heads_of(x @ wk.T + bk), heads_of(x @ wv.T + bv)
    scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
    if causal:
        scores = scores.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1), float("-inf"))
    out = torch.softmax(scores, dim=-1) @ v  # [B, heads, T, dh]
    out = out.permute(0, 2, 1, 3).reshape(b, t, d)
    return out @ mha.out_proj.weight.T + mha.out_proj.bias


class TransformerBlock(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = nn.MultiheadAttention(d, heads, dropout=0.0, bias=True, batch_first=True)
        self.ln2 = nn.LayerNorm(d, eps=1e-5)
        self.fc = nn.Linear(d, mlp)
        self.proj = nn.Linear(mlp, d)

    def mapping(self, m, prefix):
        m.layer_norm(f"{prefix}.ln1", self.ln1)
        m.attention(f"{prefix}.attn", self.attn)
        m.layer_norm(f"{prefix}.ln2", self.ln2)
        m.linear(f"{prefix}.fc", self.fc)
        m.linear(f"{prefix}.proj", self.proj)

    def forward(self, x, manual=False):
        ln1 = self.ln1(x)
        t = x.shape[1]
        if manual:
            attn = manual_attention(ln1, self.attn, self.heads, causal=True)
        else:
            mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)  # True = may not attend
            attn, _ = self.attn(ln1, ln1, ln1, attn_mask=mask, need_weights=False)
        x = x + attn
        proj = self.proj(F.gelu(self.fc(self.ln2(x))))
        return x + proj


class GPT(nn.Module):
    defaults = {"vocab": 512, "d_model": 128, "heads": 4, "layers": 4, "context": 64}
    inputs = ("tokens", "targets")

    def __init__(self, vocab, d_model, heads, layers, context):
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(context, d_model))
        self.tok = nn.Embedding(vocab, d_model)
        self.blocks = nn.ModuleList([TransformerBlock(d_model, heads, 4 * d_model) for _ in range(layers)])
        self.final = nn.LayerNorm(d_model, eps=1e-5)
        self.logits = nn.Linear(d_model, vocab)
        self.manual = False

    def mapping(self, m):
        m.plain("pos", self.pos, "GPT.pos")
        m.embedding("tok", self.tok)
        for i, b in enumerate(self.blocks):
            b.mapping(m, f"blocks.{i}.x")  # repeat `as blocks`, binding `x`
        m.layer_norm("final", self.final)
        m.linear("logits", self.logits)

    def forward(self, tokens, targets):
        x = self.tok(tokens.long()) + self.pos
        for b in self.blocks:
            x = b(x, manual=self.manual)
        logits = self.logits(self.final(x))
        return cross_entropy(logits, targets), logits, targets


class IrisMLP(nn.Module):
    defaults = {"h": 16}
    inputs = ("features", "label")

    def __init__(self, h):
        super().__init__()
        self.hidden = nn.Linear(4, h)
        self.logits = nn.Linear(h, 3)

    def mapping(self, m):
        m.linear("hidden", self.hidden)
        m.linear("logits", self.logits)

    def forward(self, features, label):
        logits = self.logits(torch.tanh(self.hidden(features)))
        return cross_entropy(logits, label), logits, label


class ConvExtra(nn.Module):
    """Not an example: the model CONV_EXTRA_DLG (below) reaches the convolution conventions lenet.dlg does not:
    "same" padding with an odd total in H (and W), strides, a non-square map, overlapping max and average pooling."""

    defaults = {"classes": 10}
    inputs = ("image", "label")

    def __init__(self, classes):
        super().__init__()
        self.a = nn.Conv2d(1, 4, 4)
        self.b = nn.Conv2d(4, 5, 3, stride=2)
        self.d = nn.Conv2d(5, 6, 2, stride=2)
        self.logits = nn.Linear(2 * 1 * 6, classes)

    def mapping(self, m):
        m.conv("a", self.a)
        m.conv("b", self.b)
        m.conv("d", self.d)
        m.linear("logits", self.logits)

    def forward(self, image, label):
        n = image.shape[0]
        x = image.reshape(n, 28, 28, 1)[:, :, 0:21, :].permute(0, 3, 1, 2)  # slice(axis 2, 0, 21), NCHW [N, 1, 28, 21]
        a = F.relu(self.a(same_pad(x, 4, 1)))  # H: total 3 -> 1 top, 2 bottom; W likewise
        b = torch.tanh(self.b(same_pad(a, 3, 2)))  # H 28 -> 14: total 1 -> 0 top, 1 bottom; W 21 -> 11: 1 / 1
        c = F.max_pool2d(b, 3, 2)  # [N, 5, 6, 5]
        d = torch.sigmoid(self.d(c))  # [N, 6, 3, 2]
        e = F.avg_pool2d(d, 2, stride=1)  # [N, 6, 2, 1]
        logits = self.logits(e.permute(0, 2, 3, 1).reshape(n, -1))
        return cross_entropy(logits, label), logits, label


class SeqExtra(nn.Module):
    """Not an example: the model SEQ_EXTRA_DLG (below) stacks every recurrent layer: an LSTM and two RNNs (relu and
    tanh) returning sequences, and a GRU keeping its last step, over six image rows as six time steps."""

    defaults = {"classes": 10}
    inputs = ("image", "label")

    def __init__(self, classes):
        super().__init__()
        self.a = nn.LSTM(28, 7, batch_first=True)
        self.b = nn.RNN(7, 5, nonlinearity="relu", batch_first=True)
        self.c = nn.RNN(5, 6, batch_first=True)
        self.d = nn.GRU(6, 8, batch_first=True)
        self.logits = nn.Linear(8, classes)

    def mapping(self, m):
        for name in "abcd":
            m.recurrent(name, getattr(self, name))
        m.linear("logits", self.logits)

    def forward(self, image, label):
        x = image[:, 0:6, :]
        a, _ = self.a(x)
        b, _ = self.b(a)
        c, _ = self.c(b)
        d, _ = self.d(c)
        logits = self.logits(d[:, -1])
        return cross_entropy(logits, label), logits, label


class Conv1dExtra(nn.Module):
    """Not an example: CONV1D_EXTRA_DLG (below) reaches conv1d's paddings ("valid" with stride and dilation, "same"
    with an even kernel, "causal" with dilation) and both 1-D poolings, over image rows as steps of 28 channels."""

    defaults = {"classes": 10}
    inputs = ("image", "label")

    def __init__(self, classes):
        super().__init__()
        self.a = nn.Conv1d(28, 6, 3, stride=2, dilation=2)
        self.b = nn.Conv1d(6, 5, 4, padding="same")
        self.c = nn.Conv1d(5, 4, 3, dilation=2)
        self.logits = nn.Linear(4 * 3, classes)

    def mapping(self, m):
        for name in "abc":
            conv = getattr(self, name)
            w = conv.weight  # [out, in, k]

            def load_w(a, w=w):  # dlg [k, in, out]
                with torch.no_grad():
                    w.copy_(torch.from_numpy(a.astype(np.float64)).permute(2, 1, 0))

            o, i, k = w.shape
            m.add(f"{name}.weight", (k, i, o), load_w, lambda w=w: _grad(w).permute(2, 1, 0).numpy(), f"{name}: nn.Conv1d.weight OIK->KIO")
            m.plain(f"{name}.bias", conv.bias, f"{name}: nn.Conv1d.bias")
        m.linear("logits", self.logits)

    def forward(self, image, label):
        n = image.shape[0]
        x = image.permute(0, 2, 1)  # rows are steps: [N, C=28 (pixels in a row), T=28 (rows)]
        a = torch.tanh(self.a(x))  # valid, stride 2, dilation 2: T 28 -> 12
        b = torch.relu(self.b(a))  # same (PyTorch: the odd padding step on the right): 12
        c = self.c(F.pad(b, (4, 0)))  # causal, dilation 2: 12
        d = F.max_pool1d(c, 3, stride=2)  # 5
        e = F.avg_pool1d(d, 2, stride=1)  # 4 ... -> [N, 4, 4]
        logits = self.logits(e[:, :, 0:3].permute(0, 2, 1).reshape(n, -1))
        return cross_entropy(logits, label), logits, label


CONV1D_EXTRA_DLG = """\
# conv1d and 1-D pooling against torch.nn.Conv1d and F.max_pool1d / F.avg_pool1d: image rows as 28 steps of 28
# channels.
model Conv1dExtra(classes: int = 10) {
  input image: f32[N, 28, 28]
  input label: i32[N]

  a = conv1d(image, 6, kernel: 3, stride: 2, dilation: 2) -> tanh      # f32[N, 12, 6]
  b = conv1d(a, 5, kernel: 4, padding: "same") -> relu                 # f32[N, 12, 5]
  c = conv1d(b, 4, kernel: 3, dilation: 2, padding: "causal")          # f32[N, 12, 4]
  d = max_pool1d(c, 3, stride: 2)                                      # f32[N, 5, 4]
  e = avg_pool1d(d, 2, stride: 1)                                      # f32[N, 4, 4]
  logits = dense(flatten(slice(e, 1, 0, 3)), classes)
  output logits

  train cross_entropy(logits, label) with sgd(lr: 0.01)
}
"""

SEQ_EXTRA_DLG = """\
# Every recurrent layer against torch.nn.LSTM/RNN/GRU(batch_first=True): six image rows as six time steps.
model SeqExtra(classes: int = 10) {
  input image: f32[N, 28, 28]
  input label: i32[N]

  x = slice(image, 1, 0, 6)                # f32[N, 6, 28]
  a = lstm(x, 7)                           # f32[N, 6, 7]
  b = rnn(a, 5, activation: "relu")        # f32[N, 6, 5]
  c = rnn(b, 6)                            # f32[N, 6, 6]
  d = gru(c, 8, last: true)                # f32[N, 8]
  logits = dense(d, classes)
  output logits

  train cross_entropy(logits, label) with sgd(lr: 0.01)
}
"""

# The .dlg source of ConvExtra (the test writes it to a file; `parity.py --print-dlg conv-extra` prints it).
CONV_EXTRA_DLG = """\
# Convolution conventions lenet.dlg does not reach: TensorFlow-style "same" padding with an odd total (the extra
# pixel bottom/right), strides, a non-square map, overlapping max pooling and average pooling.
model ConvExtra(classes: int = 10) {
  input image: f32[N, 28, 28]
  input label: i32[N]

  x = slice(reshape(image, [N, 28, 28, 1]), 2, 0, 21)             # f32[N, 28, 21, 1]
  a = conv2d(x, 4, kernel: 4, padding: "same") -> relu            # f32[N, 28, 21, 4]
  b = conv2d(a, 5, kernel: 3, stride: 2, padding: "same") -> tanh # f32[N, 14, 11, 5]
  c = max_pool2d(b, 3, stride: 2)                                 # f32[N, 6, 5, 5]
  d = conv2d(c, 6, kernel: 2, stride: 2) -> sigmoid               # f32[N, 3, 2, 6]
  e = avg_pool2d(d, 2, stride: 1)                                 # f32[N, 2, 1, 6]
  logits = dense(flatten(e), classes)
  output logits

  loss = cross_entropy(logits, label)
  train loss with sgd(lr: 0.01)
}
"""

MODELS = {"mnist-mlp": MnistMLP, "lenet": LeNet, "residual-mlp": ResidualMLP, "gpt": GPT, "iris-mlp": IrisMLP, "conv-extra": ConvExtra, "seq-extra": SeqExtra, "conv1d-extra": Conv1dExtra}
EXTRA_DLG = {"conv-extra": CONV_EXTRA_DLG, "seq-extra": SEQ_EXTRA_DLG, "conv1d-extra": CONV1D_EXTRA_DLG}


# ---------------------------------------------------------------------------------------------------------------


def build(name, hp):
    cls = MODELS[name]
    unknown = set(hp) - set(cls.defaults)
    if unknown:
        raise Fail(f"unknown hyperparameters for {name}: {sorted(unknown)} (known: {sorted(cls.defaults)})")
    model = cls(**{**cls.defaults, **hp}).to(DT)
    model.eval()  # dropout off, as in `dlg grad`
    mapping = Mapping()
    model.mapping(mapping)
    # Every torch parameter must be covered by the mapping (element counts add up).
    mapped = sum(int(np.prod(e[1])) for e in mapping.entries)
    total = sum(p.numel() for p in model.parameters())
    assert mapped == total, f"mapping covers {mapped} of {total} parameter values"
    return model, mapping


def load_weights(model_name, mapping, weights):
    names = [e[0] for e in mapping.entries]
    params = {k: v for k, v in weights.items() if not (k == "optimizer.step" or k.endswith((".exp_avg", ".exp_avg_sq", ".momentum_buffer")))}
    missing = [n for n in names if n not in params]
    extra = [n for n in params if n not in names]
    if missing or extra:
        raise Fail(f"{model_name}: parameter names differ from the mapping: missing in weights {missing}, not in mapping {extra}")
    if list(params) != names:
        print(f"note: weights are in a different order than the mapping's evaluation order:\n  weights {list(params)}\n  mapping {names}")
    for name, shape, load, _, _ in mapping.entries:
        a = params[name]
        if tuple(a.shape) != shape or a.dtype != np.float32:
            raise Fail(f"{name}: weights give {a.dtype}{list(a.shape)}, the model expects float32{list(shape)}")
        load(a)


def batch_tensors(model_cls, data, rows):
    out = []
    for name in model_cls.inputs:
        if name not in data:
            raise Fail(f"data has no tensor `{name}` (it has {sorted(data)})")
        a = data[name][:rows]
        out.append(torch.from_numpy(a.astype(np.float64) if a.dtype.kind == "f" else a.astype(np.int64)))
    return out


def compare_grads(mapping, grads):
    names = [e[0] for e in mapping.entries]
    got_names = [k for k in grads if k != "loss"]
    missing = [n for n in names if n not in grads]
    extra = [n for n in got_names if n not in names]
    if missing or extra:
        raise Fail(f"gradient names differ: missing in dlg's file {missing}, not in the mapping {extra}")
    failures = []
    refs = {name: grad() for name, _, _, grad, _ in mapping.entries}
    global_scale = max(float(np.max(np.abs(r))) if r.size else 0.0 for r in refs.values())
    width = max(len(n) for n in names)
    print(f"{'parameter':<{width}}  {'shape':<16} {'max|torch|':>11} {'max abs err':>11} {'max rel err':>11} {'norm rel':>9}")
    worst = (0.0, "")
    for name, shape, _, grad, where in mapping.entries:
        ref = refs[name]
        got = grads[name]
        if tuple(got.shape) != shape:
            failures.append(f"{name}: dlg gradient has shape {list(got.shape)}, expected {list(shape)}")
            continue
        got = got.astype(np.float64)
        if not np.all(np.isfinite(got)):
            failures.append(f"{name}: dlg gradient has non-finite values")
            continue
        diff = np.abs(got - ref)
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
        floor = max(FLOOR_FRACTION * scale, GLOBAL_FLOOR_FRACTION * global_scale, 1e-30)
        rel = diff / np.maximum(np.abs(ref), floor)
        max_abs = float(diff.max()) if diff.size else 0.0
        max_rel = float(rel.max()) if rel.size else 0.0
        norm_rel = float(np.linalg.norm(got - ref) / max(np.linalg.norm(ref), 1e-300))
        print(f"{name:<{width}}  {str(list(shape)):<16} {scale:11.3e} {max_abs:11.3e} {max_rel:11.3e} {norm_rel:9.2e}")
        if max_rel > worst[0]:
            worst = (max_rel, name)
        if not max_rel <= GRAD_RTOL:
            i = np.unravel_index(int(np.argmax(rel)), rel.shape)
            failures.append(
                f"{name} ({where}): max relative error {max_rel:.3e} > {GRAD_RTOL:g} at index {list(map(int, i))}: "
                f"dlg {got[i]:.9g}, torch {ref[i]:.9g} (tensor max |grad| {scale:.3e}, norm-relative error {norm_rel:.2e})"
            )
    return failures, worst


def forward_check(model, model_cls, test, run):
    n = next(iter(test.values())).shape[0]
    inputs = batch_tensors(model_cls, test, n)
    with torch.no_grad():
        loss, logits, labels = model(*inputs)
    c = logits.shape[-1]
    lead = tuple(logits.shape[:-1])
    pred = logits.argmax(dim=-1)
    flat = logits.reshape(-1, c).numpy()
    top2 = np.sort(flat, axis=1)[:, -2:]
    ambiguous = int((top2[:, 1] - top2[:, 0] < ARGMAX_MARGIN).sum())
    count = int(labels.numel())
    correct = int((pred == labels.long()).sum())
    ref_loss = float(loss)
    print(f"forward ({n} test rows): loss dlg {run['loss']:.9g} torch {ref_loss:.9g}; "
          f"accuracy dlg {run['accuracy']} torch {correct / count} ({correct}/{count} against the loss's labels, {ambiguous} near-ties)")
    failures = []
    if run.get("rows") is not None and run["rows"] != n:
        failures.append(f"dlg run evaluated {run['rows']} rows, the test file has {n}")
    if not abs(run["loss"] - ref_loss) <= LOSS_RTOL * abs(ref_loss) + 1e-6:
        failures.append(f"forward loss on the test rows: dlg {run['loss']:.9g}, torch {ref_loss:.9g}")
    dlg_correct = round(run["accuracy"] * count)
    if abs(dlg_correct - correct) > ambiguous:
        # Which integer input of the logits' leading shape would give dlg's number? (names a wrong label choice)
        other = []
        for name, t in zip(model_cls.inputs, inputs):
            if t.dtype == torch.int64 and tuple(t.shape) == lead:
                other.append(f"`{name}` {int((pred == t).sum())}/{count}")
        failures.append(
            f"forward accuracy on the test rows: dlg {dlg_correct}/{count}, torch {correct}/{count} against the loss's labels "
            f"`{model_cls.inputs[-1]}` ({ambiguous} near-ties); torch's argmax scored against each integer input: {', '.join(other)}"
        )
    return failures


def main():
    if sys.argv[1:2] == ["--print-dlg"]:
        if len(sys.argv) != 3 or sys.argv[2] not in EXTRA_DLG:
            print(f"usage: parity.py --print-dlg {'|'.join(EXTRA_DLG)}", file=sys.stderr)
            return 2
        sys.stdout.write(EXTRA_DLG[sys.argv[2]])
        return 0
    ap = argparse.ArgumentParser(description="Compare dlg's loss and gradients with a hand-built PyTorch model.")
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("weights")
    ap.add_argument("data")
    ap.add_argument("grads")
    ap.add_argument("batch", type=int)
    ap.add_argument("hyperparams", nargs="?", default="{}")
    ap.add_argument("--test-data")
    ap.add_argument("--run-json", help="the JSON line `dlg run --json` printed for --test-data")
    args = ap.parse_args()
    if (args.test_data is None) != (args.run_json is None):
        ap.error("--test-data and --run-json go together")
    started = time.time()
    try:
        hp = json.loads(args.hyperparams)
        model, mapping = build(args.model, hp)
        weights, _ = st.read(args.weights)
        load_weights(args.model, mapping, weights)
        data, _ = st.read(args.data)
        grads, meta = st.read(args.grads)
        rows = next(iter(data.values())).shape[0]
        batch = min(args.batch, rows)
        if "rows" in meta and int(meta["rows"]) != batch:
            raise Fail(f"dlg grad used {meta['rows']} rows, expected {batch}")
        if "loss" not in grads:
            raise Fail(f"{args.grads} has no `loss` tensor")
    except Fail as e:
        print(f"parity.py: {e}", file=sys.stderr)
        return 2

    cls = MODELS[args.model]
    # Each part separately, so a test can tell which one failed: loss, gradients, forward (dlg run).
    failures = {"loss": [], "grads": [], "forward": []}
    inputs = batch_tensors(cls, data, batch)
    model.zero_grad(set_to_none=True)
    loss, _, _ = model(*inputs)
    loss.backward()
    ref_loss = float(loss)
    dlg_loss = float(grads["loss"].reshape(()))
    loss_rel = abs(dlg_loss - ref_loss) / abs(ref_loss)
    print(f"{args.model} {json.dumps(hp)}: batch {batch}, loss dlg {dlg_loss:.9g} torch {ref_loss:.9g} (rel err {loss_rel:.2e})")
    if not abs(dlg_loss - ref_loss) <= LOSS_RTOL * abs(ref_loss) + 1e-6:
        failures["loss"].append(f"loss: dlg {dlg_loss:.9g}, torch {ref_loss:.9g}")

    if isinstance(model, GPT):
        # LANGUAGE.md says attention equals nn.MultiheadAttention with transposed projections: check our two
        # torch paths agree before trusting either.
        model.manual = True
        with torch.no_grad():
            manual_loss = float(model(*inputs)[0])
        model.manual = False
        if not abs(manual_loss - ref_loss) <= 1e-10 * abs(ref_loss):
            failures["loss"].append(f"torch self-check: hand-written attention loss {manual_loss!r} != nn.MultiheadAttention loss {ref_loss!r}")

    worst = (float("nan"), "")
    try:
        grad_failures, worst = compare_grads(mapping, grads)
        failures["grads"] += grad_failures
        print(f"worst gradient relative error {worst[0]:.3e} ({worst[1]}); tolerance {GRAD_RTOL:g}")
    except Fail as e:
        failures["grads"].append(str(e))

    if args.test_data is not None:
        test, _ = st.read(args.test_data)
        failures["forward"] += forward_check(model, cls, test, json.loads(args.run_json))

    seconds = time.time() - started
    print(f"({seconds:.2f}s)")
    summary = {
        "model": args.model,
        "loss_rel_err": loss_rel,
        "worst_grad_rel_err": worst[0],
        "worst_grad": worst[1],
        # forward: null when no --test-data/--run-json was given (not checked)
        "ok": {k: (None if k == "forward" and args.test_data is None else not v) for k, v in failures.items()},
        "failures": failures,
        "seconds": round(seconds, 3),
    }
    print("PARITY_SUMMARY " + json.dumps(summary))
    flat = [f for part in failures.values() for f in part]
    if flat:
        print(f"\nPARITY FAILED for {args.model}: {len(flat)} mismatch(es)", file=sys.stderr)
        for f in flat:
            print(f"  - {f}", file=sys.stderr)
        return 1
    print(f"PARITY OK: {args.model} loss and {len(mapping.entries)} gradients agree with PyTorch (float64)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
