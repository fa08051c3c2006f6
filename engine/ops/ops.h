/* ops.h — the numerical building blocks of a BERT encoder, as forward/backward pairs over plain
 * float arrays (the llm.c convention).
 *
 * Dimension letters: B batch, T sequence length, C hidden channels, OC output channels,
 * NH attention heads, HS head size (C / NH), V vocabulary, N = number of rows (usually B*T).
 * Arrays are row-major and contiguous unless a stride is given.
 *
 * Contract:
 *  - Outputs first, then inputs, then sizes. Output buffers belong to the caller.
 *  - A forward stores what its backward needs in caller buffers (layernorm mean/rstd, softmax probs).
 *  - A backward ADDS into its gradient outputs (so shared weights and residual branches accumulate);
 *    the caller zeroes gradients. A NULL gradient pointer means "not wanted" (frozen weights,
 *    the input of the first layer) and is skipped. A `*_set` backward instead OVERWRITES its input
 *    gradient (dinp, dqkv, dlogits; parameter gradients are still added to), bit-identical to
 *    zeroing it and calling the adding form: the backward pass saves a clearing pass and a
 *    read-modify-write over each fresh activation gradient.
 *  - Fast paths use OpenBLAS cblas_sgemm; every fast op has a naive reference (`*_naive`) kept for
 *    tests.
 */
#ifndef BB_OPS_H
#define BB_OPS_H

#include <stdint.h>

#include "bb_pool.h"
#include "bb_rng.h"

typedef enum {
    BB_ACT_GELU,      /* exact: 0.5 x (1 + erf(x / sqrt 2))           ("gelu") */
    BB_ACT_GELU_TANH, /* tanh approximation  ("gelu_new", "gelu_pytorch_tanh", "gelu_fast") */
    BB_ACT_RELU,
} bb_act;

/* Threads of the engine's pool (bb_pool.h), which the matrix products, attention heads, elementwise
 * ops, the loss and the optimizer share their loops with (at most one per CPU). OpenBLAS itself runs
 * on one thread: the products are split across the pool instead (ops_sgemm). ops_set_threads(n)
 * sets the count for the process (n <= 0: one per CPU); ops_threads() returns it (first read from
 * OpenBLAS's own default, so OPENBLAS_NUM_THREADS still chooses it). */
void ops_set_threads(int n);
int ops_threads(void);
/* For a program that calls cblas directly while no engine work runs (bench's sgemm peak): on != 0
 * gives OpenBLAS ops_threads() threads, 0 puts it back on one. */
void ops_blas_threaded(int on);
/* The process's pool (bb_pool_global) sized by ops_threads(), for loops outside engine/ops. */
bb_pool *ops_pool(void);
/* x (n) = 0, on the pool's threads (the backward's gradient buffers). */
void ops_zero(float *x, long n);

/* out (N,OC) = inp (N,C) @ weight(OC,C)^T + bias(OC); bias may be NULL. */
void linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int C, int OC);
void linear_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                          int N, int C, int OC);
/* `parts` layers of one input side by side: out (N, parts*OC), columns s*OC .. s*OC+OC-1 =
 * inp @ weight[s]^T + bias[s] (bias[s] may be NULL); as separate Q, K and V weights into one qkv. */
void linear_forward_parts(float *out, const float *inp, const float *const *weight, const float *const *bias,
                          int parts, int N, int C, int OC);
/* dinp (N,C) += dout @ weight; dweight (OC,C) += dout^T @ inp; dbias (OC) += sum_n dout. */
void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int C, int OC);
void linear_backward_set(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int N, int C, int OC);

/* LayerNorm over the last dim: out = (inp - mean) * rstd * weight + bias; mean, rstd (N). */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int N, int C, float eps);
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int C);
void layernorm_backward_set(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, int N, int C);
/* res (N,C) = a + b, then out = LayerNorm(res) as layernorm_forward, in one pass over each row (the
 * row is still in L1 when the norm reads it). The backward is residual_backward after
 * layernorm_backward with inp = res. */
void residual_layernorm_forward(float *res, float *out, float *mean, float *rstd, const float *a, const float *b,
                                const float *weight, const float *bias, int N, int C, float eps);

/* Elementwise activation over n values; out may alias inp in forward. */
void act_forward(float *out, const float *inp, long n, bb_act act);
/* dinp += act'(inp) * dout. out: act(inp) as act_forward stored it, or NULL; with it the exact GELU's
 * derivative takes Phi(x) as out / x instead of computing it again (one exp per value instead of two
 * and no erfc polynomial; the same to ~1e-7 relative), so pass it wherever the forward kept it. */
void act_backward(float *dinp, const float *inp, const float *out, const float *dout, long n, bb_act act);
/* dinp (N,C) = act'(inp) * dout (dinp may alias dout, not out); out as in act_backward; dbias as in
 * dropout_backward_set. */
void act_backward_set(float *dinp, float *dbias, const float *inp, const float *out, const float *dout, long N, int C,
                      bb_act act);

/* out = a + b over n values (out may alias a or b). */
void residual_forward(float *out, const float *a, const float *b, long n);
/* da += dout; db += dout */
void residual_backward(float *da, float *db, const float *dout, long n);

/* BERT embeddings (before LayerNorm):
 * out (B,T,C) = wte[ids[b,t]] + wpe[t + pos_offset] + wtt[type_ids[b,t]].
 * ids, type_ids (B,T); type_ids may be NULL (all 0). The caller has range-checked the ids. */
void embeddings_forward(float *out, const int32_t *ids, const int32_t *type_ids,
                        const float *wte, const float *wpe, const float *wtt,
                        int B, int T, int C, int pos_offset);
/* dwte/dwpe/dwtt += the matching rows of dout; any may be NULL. */
void embeddings_backward(float *dwte, float *dwpe, float *dwtt, const float *dout,
                         const int32_t *ids, const int32_t *type_ids,
                         int B, int T, int C, int pos_offset);

/* Multi-head self-attention core (after the fused Q,K,V projection, before the output projection).
 * qkv (B,T,3C): per token [q(C) | k(C) | v(C)], head h uses channels h*HS..h*HS+HS of each.
 * mask (B,T): 1 = real token, 0 = padding key (those keys get probability 0, as HF's additive
 *   finfo.min mask gives); NULL means no padding.
 * probs (B,NH,T,T): softmax(q k^T / sqrt(HS)) — always written (attention capture uses it).
 * probs_drop (B,NH,T,T): probs after dropout with probability p_drop (scaled by 1/(1-p_drop));
 *   used only when p_drop > 0 (then it must be non-NULL and rng non-NULL), otherwise may be NULL;
 *   rng then advances by one draw, the seed of the mask's per-item streams (ops_dropout_stream).
 * out (B,T,C): heads concatenated.
 * The (batch, head) pairs are shared across the engine's pool; the result does not depend on the
 * thread count. */
void attention_forward(float *out, float *probs, float *probs_drop, const float *qkv,
                       const float *mask, int B, int T, int C, int NH, float p_drop, bb_rng *rng);
void attention_forward_naive(float *out, float *probs, const float *qkv, const float *mask,
                             int B, int T, int C, int NH);
/* dqkv (B,T,3C) += gradient. probs_drop as in forward (NULL when p_drop was 0).
 * scratch: at least attention_backward_scratch(T) floats (one (T,T) block per pool thread) — the
 * caller provides it so no op allocates. */
void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *probs,
                        const float *probs_drop, int B, int T, int C, int NH, float p_drop,
                        float *scratch);
void attention_backward_set(float *dqkv, const float *dout, const float *qkv, const float *probs,
                            const float *probs_drop, int B, int T, int C, int NH, float p_drop,
                            float *scratch);
long attention_backward_scratch(int T);

/* Inverted dropout: out = inp * keep / (1-p), keep ~ Bernoulli(1-p); keep (n bytes) records the
 * mask for backward. p == 0 copies. out may alias inp. rng advances by one draw, the seed of the
 * mask's blocks (drawn across the pool; the mask does not depend on the thread count). */
void dropout_forward(float *out, uint8_t *keep, const float *inp, long n, float p, bb_rng *rng);
/* dinp += dout * keep / (1-p). */
void dropout_backward(float *dinp, const float *dout, const uint8_t *keep, long n, float p);
/* dinp (N,C) = dout * keep / (1-p) (dinp may alias dout); dbias (C), when not NULL, gets the column
 * sums of dinp added as linear_backward's dbias would (same order, same bits): the bias gradient of
 * the linear layer before the dropout, without another pass over dinp. */
void dropout_backward_set(float *dinp, float *dbias, const float *dout, const uint8_t *keep, long N, int C, float p);

/* Row softmax: probs (N,V) = softmax(logits) (max-subtracted). */
void softmax_forward(float *probs, const float *logits, int N, int V);

/* Cross-entropy per row: losses[n] = -log softmax(logits[n])[targets[n]]; rows whose target is
 * -100 (ignore index) get loss 0. probs (N,V) receives the softmax (kept for backward); probs may be
 * logits (the softmax then replaces them). Returns the number of non-ignored rows. */
int crossentropy_forward(float *losses, float *probs, const float *logits, const int32_t *targets,
                         int N, int V);
/* dlogits (N,V) += (probs - onehot(target)) * dloss_scale for non-ignored rows
 * (dloss_scale is 1/count for a mean loss). */
void crossentropy_backward(float *dlogits, const float *probs, const int32_t *targets,
                           int N, int V, float dloss_scale);
/* dlogits = that gradient, ignored rows 0; dlogits may alias probs. dbias (V), when not NULL, gets
 * the column sums of dlogits added as linear_backward's dbias would (same order, same bits): the
 * decoder's bias gradient without another pass over dlogits. */
void crossentropy_backward_set(float *dlogits, float *dbias, const float *probs, const int32_t *targets,
                               int N, int V, float dloss_scale);

/* tanh in place helpers used by the pooler: out = tanh(inp); dinp += (1 - out^2) * dout. */
void tanh_forward(float *out, const float *inp, long n);
void tanh_backward(float *dinp, const float *out, const float *dout, long n);

#endif
