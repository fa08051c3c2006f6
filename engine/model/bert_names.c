#include "bert_names.h"

#define L_ "%sencoder.layer.%d."
static const bert_tensor_name bert_family_names[] = {
    {BERT_P_WTE, 0, -1, {"%sembeddings.word_embeddings.weight"}},
    {BERT_P_WPE, 0, -1, {"%sembeddings.position_embeddings.weight"}},
    {BERT_P_WTT, 0, -1, {"%sembeddings.token_type_embeddings.weight"}},
    {BERT_P_EMB_LNW, 0, -1, {"%sembeddings.LayerNorm.weight", "%sembeddings.LayerNorm.gamma"}},
    {BERT_P_EMB_LNB, 0, -1, {"%sembeddings.LayerNorm.bias", "%sembeddings.LayerNorm.beta"}},
    {BERT_P_QKVW, 1, 0, {L_ "attention.self.query.weight"}},
    {BERT_P_QKVW, 1, 1, {L_ "attention.self.key.weight"}},
    {BERT_P_QKVW, 1, 2, {L_ "attention.self.value.weight"}},
    {BERT_P_QKVB, 1, 0, {L_ "attention.self.query.bias"}},
    {BERT_P_QKVB, 1, 1, {L_ "attention.self.key.bias"}},
    {BERT_P_QKVB, 1, 2, {L_ "attention.self.value.bias"}},
    {BERT_P_ATTPROJW, 1, -1, {L_ "attention.output.dense.weight"}},
    {BERT_P_ATTPROJB, 1, -1, {L_ "attention.output.dense.bias"}},
    {BERT_P_LN1W, 1, -1, {L_ "attention.output.LayerNorm.weight", L_ "attention.output.LayerNorm.gamma"}},
    {BERT_P_LN1B, 1, -1, {L_ "attention.output.LayerNorm.bias", L_ "attention.output.LayerNorm.beta"}},
    {BERT_P_FCW, 1, -1, {L_ "intermediate.dense.weight"}},
    {BERT_P_FCB, 1, -1, {L_ "intermediate.dense.bias"}},
    {BERT_P_FCPROJW, 1, -1, {L_ "output.dense.weight"}},
    {BERT_P_FCPROJB, 1, -1, {L_ "output.dense.bias"}},
    {BERT_P_LN2W, 1, -1, {L_ "output.LayerNorm.weight", L_ "output.LayerNorm.gamma"}},
    {BERT_P_LN2B, 1, -1, {L_ "output.LayerNorm.bias", L_ "output.LayerNorm.beta"}},
    {BERT_P_POOLW, 0, -1, {"%spooler.dense.weight"}},
    {BERT_P_POOLB, 0, -1, {"%spooler.dense.bias"}},
    {BERT_P_MLMW, 0, -1, {"cls.predictions.transform.dense.weight", "lm_head.dense.weight"}},
    {BERT_P_MLMB, 0, -1, {"cls.predictions.transform.dense.bias", "lm_head.dense.bias"}},
    {BERT_P_MLM_LNW, 0, -1, {"cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.gamma",
                        "lm_head.layer_norm.weight"}},
    {BERT_P_MLM_LNB, 0, -1, {"cls.predictions.transform.LayerNorm.bias", "cls.predictions.transform.LayerNorm.beta",
                        "lm_head.layer_norm.bias"}},
    {BERT_P_MLM_BIAS, 0, -1, {"cls.predictions.bias", "cls.predictions.decoder.bias", "lm_head.bias"}},
    {BERT_P_MLM_DEC, 0, -1, {"cls.predictions.decoder.weight", "lm_head.decoder.weight"}},
    {BERT_P_NSPW, 0, -1, {"cls.seq_relationship.weight"}},
    {BERT_P_NSPB, 0, -1, {"cls.seq_relationship.bias"}},
    {BERT_P_CLSW, 0, -1, {"classifier.weight"}},
    {BERT_P_CLSB, 0, -1, {"classifier.bias"}},
};
#undef L_

#define D_ "%stransformer.layer.%d."
static const bert_tensor_name distil_names[] = {
    {BERT_P_WTE, 0, -1, {"%sembeddings.word_embeddings.weight"}},
    {BERT_P_WPE, 0, -1, {"%sembeddings.position_embeddings.weight"}},
    {BERT_P_EMB_LNW, 0, -1, {"%sembeddings.LayerNorm.weight"}},
    {BERT_P_EMB_LNB, 0, -1, {"%sembeddings.LayerNorm.bias"}},
    {BERT_P_QKVW, 1, 0, {D_ "attention.q_lin.weight"}},
    {BERT_P_QKVW, 1, 1, {D_ "attention.k_lin.weight"}},
    {BERT_P_QKVW, 1, 2, {D_ "attention.v_lin.weight"}},
    {BERT_P_QKVB, 1, 0, {D_ "attention.q_lin.bias"}},
    {BERT_P_QKVB, 1, 1, {D_ "attention.k_lin.bias"}},
    {BERT_P_QKVB, 1, 2, {D_ "attention.v_lin.bias"}},
    {BERT_P_ATTPROJW, 1, -1, {D_ "attention.out_lin.weight"}},
    {BERT_P_ATTPROJB, 1, -1, {D_ "attention.out_lin.bias"}},
    {BERT_P_LN1W, 1, -1, {D_ "sa_layer_norm.weight"}},
    {BERT_P_LN1B, 1, -1, {D_ "sa_layer_norm.bias"}},
    {BERT_P_FCW, 1, -1, {D_ "ffn.lin1.weight"}},
    {BERT_P_FCB, 1, -1, {D_ "ffn.lin1.bias"}},
    {BERT_P_FCPROJW, 1, -1, {D_ "ffn.lin2.weight"}},
    {BERT_P_FCPROJB, 1, -1, {D_ "ffn.lin2.bias"}},
    {BERT_P_LN2W, 1, -1, {D_ "output_layer_norm.weight"}},
    {BERT_P_LN2B, 1, -1, {D_ "output_layer_norm.bias"}},
    {BERT_P_MLMW, 0, -1, {"vocab_transform.weight"}},
    {BERT_P_MLMB, 0, -1, {"vocab_transform.bias"}},
    {BERT_P_MLM_LNW, 0, -1, {"vocab_layer_norm.weight"}},
    {BERT_P_MLM_LNB, 0, -1, {"vocab_layer_norm.bias"}},
    {BERT_P_MLM_BIAS, 0, -1, {"vocab_projector.bias"}},
    {BERT_P_MLM_DEC, 0, -1, {"vocab_projector.weight"}},
    {BERT_P_CLSW, 0, -1, {"classifier.weight"}},
    {BERT_P_CLSB, 0, -1, {"classifier.bias"}},
};
#undef D_

const bert_tensor_name *bert_names(bert_family family, int *n) {
    if (family == BERT_FAMILY_DISTILBERT) {
        *n = (int)(sizeof distil_names / sizeof *distil_names);
        return distil_names;
    }
    *n = (int)(sizeof bert_family_names / sizeof *bert_family_names);
    return bert_family_names;
}

/* Expected (rows, cols) of one stored tensor (cols 0 for a vector). */
void bert_tensor_shape(const bert_model *m, int field, int64_t *rows, int64_t *cols) {
    int64_t V = m->cfg.vocab_size, C = m->cfg.hidden_size, I = m->cfg.intermediate_size,
            P = m->cfg.max_position, TV = m->cfg.type_vocab_size, NL = m->cfg.num_labels;
    int64_t shapes[BERT_NPARAMS][2] = {
        {V, C}, {P, C}, {TV, C}, {C, 0}, {C, 0}, {C, C}, {C, 0}, {C, C}, {C, 0}, {C, 0}, {C, 0},
        {I, C}, {I, 0}, {C, I}, {C, 0}, {C, 0}, {C, 0}, {C, C}, {C, 0}, {C, C}, {C, 0}, {C, 0},
        {C, 0}, {V, 0}, {V, C}, {2, C}, {2, 0}, {NL, C}, {NL, 0},
    };
    *rows = shapes[field][0];
    *cols = shapes[field][1];
}

/* Destination of one stored tensor inside the flat buffer. */
float *bert_tensor_slot(const bert_model *m, const bert_tensor_name *tn, int layer) {
    int field = tn->field, per_layer = tn->per_layer, slice = tn->slice;
    float *base = ((float *const *)&m->params)[field];
    size_t per = m->param_sizes[field] / (per_layer ? (size_t)m->cfg.num_layers : 1);
    base += per * (size_t)(per_layer ? layer : 0);
    if (slice >= 0) base += per / 3 * (size_t)slice;
    return base;
}

int bert_layer_member(const bert_tensor_name *tn) {
    if (tn->field == BERT_P_QKVW) return tn->slice;
    if (tn->field == BERT_P_QKVB) return 3 + tn->slice;
    return 6 + tn->field - BERT_P_ATTPROJW;
}

const float *bert_tensor_data(const bert_model *m, const bert_tensor_name *tn, int layer) {
    if (!tn->per_layer) return ((float *const *)&m->params)[tn->field];
    bert_layer w;
    bert_layer_weights(m, layer, &w);
    return ((const float **)&w)[bert_layer_member(tn)];
}
