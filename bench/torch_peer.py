#!/usr/bin/python3
"""bench/torch_peer.py — the PyTorch peer of `bertbench bench forward|train|sgemm`.

A benchmark peer only (Debian's python3-torch, run with /usr/bin/python3): nothing in the product or its
tests imports it. The BERT encoder is written here in plain torch, as Hugging Face's BertModel computes
it (separate Q/K/V linears, matmul + softmax attention, erf GELU, post-LayerNorm, eps 1e-12), on random
weights, at the shapes bertbench's benchmarks use, and prints one JSON line per measurement with the
same fields (median_s / step_s, gflops, tokens_per_s, sgemm_gflops, ratio) plus min_s and the thread
settings.

  forward  the encoder forward under torch.inference_mode (no pooler, like `bench forward`'s FLOPs)
  train    MLM steps: dropout 0.1, 15% dynamic masking (80/10/10), the MLM head (transform + tied
           decoder) on the masked rows only, as bertbench does; cross-entropy, backward,
           clip_grad_norm_(1.0), AdamW (lr 1e-4, weight decay 0.01), gradients set to None
  sgemm    torch.mm of 2048x2048 by 2048x2048 (median of 5): the same peak `bertbench bench sgemm` times

Threads: --threads sets torch.set_num_threads (ATen's OpenMP pool); --blas-threads sets
OPENBLAS_NUM_THREADS before torch loads OpenBLAS (Debian's torch calls libblas.so.3, which the
alternatives system points at OpenBLAS). The best configuration on 2 cores is --threads 1
--blas-threads 2 (the defaults); --threads 2 oversubscribes the cores.
--impl fastpath runs the forward through torch's fused nn.TransformerEncoderLayer inference path instead
(context only: the acceptance compares against the eager module).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

SHAPES = {  # name: (layers, hidden, heads, intermediate, default training batch)
    "small": (4, 256, 4, 1024, 16),
    "base": (12, 768, 12, 3072, 8),
}
VOCAB = 30522
CLS, SEP, MASK = 101, 102, 103


def int_list(s):
    try:
        v = [int(x) for x in s.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{s}': expected integers separated by commas")
    if not v or min(v) < 1:
        raise argparse.ArgumentTypeError(f"'{s}': expected positive integers")
    return v


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="torch_peer.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("bench", choices=["forward", "train", "sgemm"])
    ap.add_argument("--shape", choices=sorted(SHAPES) + ["all"],
                    help="layers/hidden/heads/intermediate preset (forward default: base; train default: all)")
    ap.add_argument("--layers", type=int)
    ap.add_argument("--hidden", type=int)
    ap.add_argument("--heads", type=int)
    ap.add_argument("--intermediate", type=int)
    ap.add_argument("--seq", type=int_list, default=[128], help="T, or a list T1,T2,... (one line each)")
    ap.add_argument("--batch", type=int_list, help="B, or a list (default: forward 1, train per shape)")
    ap.add_argument("--reps", type=int, help="timed repetitions after one warm-up (forward 10, train 3)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--blas-threads", type=int, default=2, help="OPENBLAS_NUM_THREADS (default 2)")
    ap.add_argument("--impl", choices=["eager", "fastpath"], default="eager")
    ap.add_argument("--foreach", action="store_true", help="AdamW(foreach=True) (multi-tensor step)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    if a.reps is not None and a.reps < 1:
        ap.error("--reps needs a positive integer")
    if a.threads < 1 or a.blas_threads < 1:
        ap.error("--threads and --blas-threads need a positive integer")
    return a


def shapes_of(a):
    """(name, L, C, NH, I, default batch) for each shape asked for."""
    names = ["small", "base"] if a.shape == "all" or (a.shape is None and a.bench == "train") else [a.shape or "base"]
    out = []
    for n in names:
        L, C, NH, I, B = SHAPES[n]
        L, C, NH = a.layers or L, a.hidden or C, a.heads or NH
        I = a.intermediate or (4 * C if a.hidden else I)
        if C % NH:
            sys.exit(f"torch_peer.py: --hidden {C} is not divisible by --heads {NH}")
        out.append(("L4-H256" if n == "small" and (L, C) == (4, 256) else
                     "bert-base" if n == "base" and (L, C) == (12, 768) else f"L{L}-H{C}", L, C, NH, I, B))
    return out


def forward_flops(L, C, I, B, T):
    """bench_forward_flops in bench/bench_forward.c: the layers' matrix products and attention."""
    N = B * T
    return L * (2 * N * C * 3 * C + 2 * N * C * C + 2 * 2 * N * C * I + 2 * 2 * B * T * T * C)


def train_flops(L, C, I, V, B, T, n):
    """train_flops in bench/bench_train.c: 3x the forward plus the MLM head on n masked rows."""
    return 3.0 * (forward_flops(L, C, I, B, T) + 2.0 * n * (C * C + C * V))


def build(torch, L, C, NH, I, T, p):
    nn, F = torch.nn, torch.nn.functional
    D = C // NH

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.o = (nn.Linear(C, C) for _ in range(4))
            self.ln1, self.ln2 = nn.LayerNorm(C, eps=1e-12), nn.LayerNorm(C, eps=1e-12)
            self.up, self.down = nn.Linear(C, I), nn.Linear(I, C)

        def forward(self, x):
            B, T_, _ = x.shape

            def heads(t):
                return t.view(B, T_, NH, D).transpose(1, 2)

            q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
            probs = F.dropout(torch.matmul(q, k.transpose(-1, -2)).div_(math.sqrt(D)).softmax(-1), p, self.training)
            ctx = torch.matmul(probs, v).transpose(1, 2).reshape(B, T_, C)
            x = self.ln1(x + F.dropout(self.o(ctx), p, self.training))
            return self.ln2(x + F.dropout(self.down(F.gelu(self.up(x))), p, self.training))

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            self.word, self.pos, self.tok_type = nn.Embedding(VOCAB, C), nn.Embedding(max(T, 512), C), nn.Embedding(2, C)
            self.ln = nn.LayerNorm(C, eps=1e-12)
            self.layers = nn.ModuleList(Layer() for _ in range(L))
            self.transform, self.head_ln = nn.Linear(C, C), nn.LayerNorm(C, eps=1e-12)
            self.head_bias = nn.Parameter(torch.zeros(VOCAB))

        def encode(self, ids):
            T_ = ids.shape[1]
            x = self.word(ids) + self.pos.weight[:T_] + self.tok_type.weight[0]
            x = F.dropout(self.ln(x), p, self.training)
            for layer in self.layers:
                x = layer(x)
            return x

        def mlm_loss(self, ids, labels):
            """The MLM head on the masked rows only; the decoder is tied to the word embeddings."""
            h = self.encode(ids).reshape(-1, C)
            sel = (labels.reshape(-1) != -100).nonzero().squeeze(1)
            h = self.head_ln(F.gelu(self.transform(h.index_select(0, sel))))
            logits = F.linear(h, self.word.weight, self.head_bias)
            return F.cross_entropy(logits, labels.reshape(-1).index_select(0, sel)), sel.numel()

    m = Bert()
    with torch.no_grad():
        for name, t in m.named_parameters():
            if t.dim() > 1:
                t.normal_(0, 0.02)
    return m


def build_fastpath(torch, L, C, NH, I, T):
    """The same encoder as torch's fused inference layers (nn.TransformerEncoderLayer fast path)."""
    nn = torch.nn
    emb = nn.Embedding(VOCAB, C)
    layers = nn.ModuleList(nn.TransformerEncoderLayer(C, NH, I, dropout=0.1, activation="gelu",
                                                      layer_norm_eps=1e-12, batch_first=True) for _ in range(L))
    ln = nn.LayerNorm(C, eps=1e-12)
    mods = nn.ModuleList([emb, layers, ln]).eval()

    def encode(ids):
        x = ln(emb(ids))
        for layer in layers:
            x = layer(x)
        return x

    return mods, encode


def sgemm_gflops(torch, reps=5):
    n = 2048
    a = torch.arange(n * n, dtype=torch.float32).remainder_(17).mul_(0.01).view(n, n)
    b, c = a.clone(), torch.empty(n, n)
    torch.mm(a, b, out=c)
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        t.append(time.perf_counter() - t0)
    return 2.0 * n ** 3 / statistics.median(t) / 1e9


def settings(torch, a):
    return {"impl": "torch", "torch_version": torch.__version__, "torch_impl": a.impl,
            "torch_threads": torch.get_num_threads(), "openblas_threads": a.blas_threads}


def emit(rec):
    print(json.dumps(rec, separators=(",", ":")), flush=True)


def bench_forward(torch, a, sg):
    reps = a.reps or 10
    for name, L, C, NH, I, _ in shapes_of(a):
        torch.manual_seed(a.seed)
        if a.impl == "fastpath":
            _, encode = build_fastpath(torch, L, C, NH, I, max(a.seq))
        else:
            encode = build(torch, L, C, NH, I, max(a.seq), 0.0).eval().encode
        for T in a.seq:
            for B in a.batch or [1]:
                ids = torch.randint(0, VOCAB, (B, T))
                t = []
                with torch.inference_mode():
                    encode(ids)  # warm-up
                    for _ in range(reps):
                        t0 = time.perf_counter()
                        encode(ids)
                        t.append(time.perf_counter() - t0)
                med = statistics.median(t)
                gf = forward_flops(L, C, I, B, T) / med / 1e9
                emit({**settings(torch, a), "bench": "forward", "shape": name, "layers": L, "hidden": C,
                      "heads": NH, "seq": T, "batch": B, "median_s": round(med, 5), "min_s": round(min(t), 5),
                      "gflops": round(gf, 2), "tokens_per_s": round(B * T / med, 1),
                      "sgemm_gflops": round(sg, 2), "ratio": round(gf / sg, 3)})


def mask_batch(torch, g, B, T):
    """Random ids with [CLS]/[SEP], 15% of the other positions chosen; 80% [MASK], 10% random, 10% kept."""
    ids = torch.randint(1000, VOCAB, (B, T), generator=g)
    ids[:, 0], ids[:, -1] = CLS, SEP
    chosen = torch.rand(B, T, generator=g) < 0.15
    chosen[:, 0] = chosen[:, -1] = False
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    r = torch.rand(B, T, generator=g)
    ids = torch.where(chosen & (r < 0.8), torch.full_like(ids, MASK), ids)
    ids = torch.where(chosen & (r >= 0.8) & (r < 0.9), torch.randint(1000, VOCAB, (B, T), generator=g), ids)
    return ids, labels


def bench_train(torch, a, sg):
    reps = a.reps or 3
    for name, L, C, NH, I, B0 in shapes_of(a):
        for T in a.seq:
            for B in a.batch or [B0]:
                torch.manual_seed(a.seed)
                m = build(torch, L, C, NH, I, T, 0.1).train()
                opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0.01, foreach=a.foreach)
                g = torch.Generator().manual_seed(a.seed)
                t, masked = [], 0
                for r in range(reps + 1):  # r == 0 warms up
                    ids, labels = mask_batch(torch, g, B, T)
                    t0 = time.perf_counter()
                    opt.zero_grad(set_to_none=True)
                    loss, n = m.mlm_loss(ids, labels)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
                    opt.step()
                    if r:
                        t.append(time.perf_counter() - t0)
                        masked += n
                med = statistics.median(t)
                gf = train_flops(L, C, I, VOCAB, B, T, masked / reps) / med / 1e9
                emit({**settings(torch, a), "bench": "train", "shape": name, "layers": L, "hidden": C,
                      "batch": B, "seq": T, "masked_per_step": round(masked / reps, 1),
                      "step_s": round(med, 4), "min_s": round(min(t), 4), "tokens_per_s": round(B * T / med, 1),
                      "gflops": round(gf, 2), "sgemm_gflops": round(sg, 2), "ratio": round(gf / sg, 3),
                      "foreach": a.foreach})


def main(argv):
    a = parse_args(argv)
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.blas_threads)  # read once, when torch loads OpenBLAS
    import torch
    torch.set_num_threads(a.threads)
    sg = sgemm_gflops(torch)
    if a.bench == "sgemm":
        emit({**settings(torch, a), "bench": "sgemm", "sgemm_gflops": round(sg, 2)})
    elif a.bench == "forward":
        bench_forward(torch, a, sg)
    else:
        if a.impl != "eager":
            sys.exit("torch_peer.py: --impl fastpath is inference only")
        bench_train(torch, a, sg)


if __name__ == "__main__":
    main(sys.argv[1:])
