/* embeddings.c — BERT's sum of word, position and token-type embeddings (LayerNorm is separate). */
#include "ops.h"

void embeddings_forward(float *out, const int32_t *ids, const int32_t *type_ids,
                        const float *wte, const float *wpe, const float *wtt,
                        int B, int T, int C, int pos_offset) {
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            long bt = (long)b * T + t;
            const float *w = wte + (long)ids[bt] * C;
            const float *p = wpe + (long)(t + pos_offset) * C;
            const float *y = wtt + (long)(type_ids ? type_ids[bt] : 0) * C;
            float *o = out + bt * C;
            /* same order as HF: (inputs_embeds + token_type_embeddings) + position_embeddings */
            for (int c = 0; c < C; c++) o[c] = (w[c] + y[c]) + p[c];
        }
    }
}

void embeddings_backward(float *dwte, float *dwpe, float *dwtt, const float *dout,
                         const int32_t *ids, const int32_t *type_ids,
                         int B, int T, int C, int pos_offset) {
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            long bt = (long)b * T + t;
            const float *g = dout + bt * C;
            if (dwte) {
                float *d = dwte + (long)ids[bt] * C;
                for (int c = 0; c < C; c++) d[c] += g[c];
            }
            if (dwpe) {
                float *d = dwpe + (long)(t + pos_offset) * C;
                for (int c = 0; c < C; c++) d[c] += g[c];
            }
            if (dwtt) {
                float *d = dwtt + (long)(type_ids ? type_ids[bt] : 0) * C;
                for (int c = 0; c < C; c++) d[c] += g[c];
            }
        }
    }
}
