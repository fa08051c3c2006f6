/* bert_init_positions_sinusoidal (bertbench train --position-init sinusoidal): row p, columns 2i and
 * 2i+1 hold s*sin(p*w_i) and s*cos(p*w_i) with w_i = 10000^(-2i/H) and s = initializer_range*sqrt(2);
 * the other parameters keep HF's initialisation; a shift by k positions is the same rotation of each
 * (sin, cos) pair at every position, which is what makes relative offsets easy to learn. */
#include "bb_err.h"
#include "bert.h"
#include "check.h"

int main(void) {
    char err[256];
    bert_config cfg;
    bert_config_default(&cfg, 50, 16, 1, 2, 32, 64);
    cfg.initializer_range = 0.05f;
    bert_model *a = NULL, *b = NULL;
    CHECK_OK(bert_create(&a, &cfg, 3, err, sizeof err), err);
    CHECK_OK(bert_create(&b, &cfg, 3, err, sizeof err), err);
    bert_config_free(&cfg);
    if (!a || !b) return check_done();
    bert_init_positions_sinusoidal(b);
    const int P = 64, H = 16;
    const double s = 0.05 * sqrt(2.0);
    double worst = 0;
    for (int p = 0; p < P; p++)
        for (int i = 0; i < H; i += 2) {
            double w = pow(10000.0, -(double)i / H);
            worst = fmax(worst, fabs(b->params.wpe[p * H + i] - s * sin(p * w)));
            worst = fmax(worst, fabs(b->params.wpe[p * H + i + 1] - s * cos(p * w)));
        }
    CHECK(worst < 1e-6, "sinusoid differs by %g", worst);
    CHECK(b->params.wpe[0] == 0.0f && fabsf(b->params.wpe[1] - (float)s) < 1e-7f, "row 0 is (0, s, 0, s, ...)");
    /* shifting by k = 5 rotates each (sin, cos) pair by the same angle at every position */
    for (int p = 0; p + 5 < P; p += 7) {
        float *x = b->params.wpe + p * H, *y = b->params.wpe + (p + 5) * H;
        double c = cos(5.0), sn = sin(5.0); /* column pair 0: w = 1 */
        CHECK(fabs(y[0] - (x[0] * c + x[1] * sn)) < 1e-6 && fabs(y[1] - (x[1] * c - x[0] * sn)) < 1e-6,
              "position %d + 5 is a rotation of position %d", p, p);
    }
    /* everything else is untouched: the word embeddings are the same as without it */
    CHECK(!memcmp(a->params.wte, b->params.wte, sizeof(float) * 50 * H), "word embeddings unchanged");
    CHECK(memcmp(a->params.wpe, b->params.wpe, sizeof(float) * P * H) != 0, "position embeddings replaced");
    bert_free(a);
    bert_free(b);
    return check_done();
}
