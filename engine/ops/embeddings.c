/* embeddings.c — BERT's sum of word, position and token-type embeddings (LayerNorm is separate).
 * The forward shares tokens among the pool's threads; the backward scatters into rows that tokens
 * share (a word that occurs twice), so it shares channels instead: each channel of each row still
 * adds its tokens in order, and the result does not depend on the thread count. */
#include "ops.h"
#include "ops_internal.h"

typedef struct {
    float *out, *dwte, *dwpe, *dwtt;
    const float *dout, *wte, *wpe, *wtt;
    const int32_t *ids, *type_ids;
    int B, T, C, pos_offset;
} emb_ctx;

static void embeddings_forward_share(void *vc, long begin, long end, int worker) {
    const emb_ctx *k = vc;
    int T = k->T, C = k->C;
    for (long bt = begin; bt < end; bt++) {
        int t = (int)(bt % T);
        const float *w = k->wte + (long)k->ids[bt] * C;
        const float *p = k->wpe + (long)(t + k->pos_offset) * C;
        const float *y = k->wtt + (long)(k->type_ids ? k->type_ids[bt] : 0) * C;
        float *o = k->out + bt * C;
        /* same order as HF: (inputs_embeds + token_type_embeddings) + position_embeddings */
        for (int c = 0; c < C; c++) o[c] = (w[c] + y[c]) + p[c];
    }
}

void embeddings_forward(float *out, const int32_t *ids, const int32_t *type_ids,
                        const float *wte, const float *wpe, const float *wtt,
                        int B, int T, int C, int pos_offset) {
    emb_ctx k = {.out = out, .wte = wte, .wpe = wpe, .wtt = wtt, .ids = ids, .type_ids = type_ids,
                 .B = B, .T = T, .C = C, .pos_offset = pos_offset};
    bb_pool_for(ops_pool(), (long)B * T, ops_rows_grain(C), embeddings_forward_share, &k);
}

static void embeddings_backward_share(void *vc, long begin, long end, int worker) {
    const emb_ctx *k = vc;
    int T = k->T, C = k->C;
    for (long bt = 0; bt < (long)k->B * T; bt++) {
        int t = (int)(bt % T);
        const float *g = k->dout + bt * C;
        if (k->dwte) {
            float *d = k->dwte + (long)k->ids[bt] * C;
            for (long c = begin; c < end; c++) d[c] += g[c];
        }
        if (k->dwpe) {
            float *d = k->dwpe + (long)(t + k->pos_offset) * C;
            for (long c = begin; c < end; c++) d[c] += g[c];
        }
        if (k->dwtt) {
            float *d = k->dwtt + (long)(k->type_ids ? k->type_ids[bt] : 0) * C;
            for (long c = begin; c < end; c++) d[c] += g[c];
        }
    }
}

void embeddings_backward(float *dwte, float *dwpe, float *dwtt, const float *dout,
                         const int32_t *ids, const int32_t *type_ids,
                         int B, int T, int C, int pos_offset) {
    emb_ctx k = {.dwte = dwte, .dwpe = dwpe, .dwtt = dwtt, .dout = dout, .ids = ids, .type_ids = type_ids,
                 .B = B, .T = T, .C = C, .pos_offset = pos_offset};
    bb_pool_for(ops_pool(), C, (long)B * T * C >= 4 * OPS_GRAIN ? 64 : C, embeddings_backward_share, &k);
}
