/* bb_format_float writes the shortest decimal that reads back as the same float32: strtof of the text
 * is the float exactly, over 0, -0, every kind of denormal, 1e-38, FLT_MIN, FLT_MAX, the 50,000
 * floats on each side of 1.0, powers of two and ten and 300,000 random bit patterns; no decimal
 * of one digit fewer (the nearest, or either neighbour) reads back; the layout is JavaScript's
 * (0.25, 1e-7, 1e+21), NaN and Inf are null; bb_json_floats nests rows in a document cJSON reads back. */
#include <float.h>
#include <stdint.h>

#include "bb_numfmt.h"
#include "bb_rng.h"
#include "check.h"

static long checked, failed_roundtrip, failed_shortest;

static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Significant digits of a formatted number: its mantissa's digits without leading and trailing zeros. */
static int sig_digits(const char *s) {
    int first = -1, last = -1, i = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9') continue;
        if (*s != '0') {
            if (first < 0) first = i;
            last = i;
        }
        i++;
    }
    return first < 0 ? 1 : last - first + 1;
}

/* Whether some decimal of p significant digits (the nearest to x, or a neighbour) reads back as x. */
static int shorter_reads_back(float x, int p) {
    char t[64];
    snprintf(t, sizeof t, "%.*e", p - 1, (double)x);
    long long d = 0;
    for (const char *c = t; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9') d = d * 10 + (*c - '0');
    int e10 = atoi(strchr(t, 'e') + 1) - (p - 1);
    for (long long k = d - 1; k <= d + 1; k++) {
        if (k <= 0) continue;
        snprintf(t, sizeof t, "%s%llde%d", x < 0 ? "-" : "", k, e10);
        if (strtof(t, NULL) == x) return 1;
    }
    return 0;
}

static void check_one(float x) {
    char buf[BB_FLOAT_CHARS];
    size_t n = bb_format_float(buf, x);
    checked++;
    if (n != strlen(buf) || n >= BB_FLOAT_CHARS) {
        CHECK(0, "length %zu of '%s'", n, buf);
        return;
    }
    char *end;
    float back = strtof(buf, &end);
    if (*end || memcmp(&back, &x, sizeof x) != 0) {
        if (failed_roundtrip++ < 10) CHECK(0, "%.9g -> '%s' -> %.9g", x, buf, back);
        return;
    }
    int p = sig_digits(buf);
    if (p > 1 && shorter_reads_back(x, p - 1) && failed_shortest++ < 10)
        CHECK(0, "%.9g -> '%s': %d digits, but %d read back too", x, buf, p, p - 1);
}

static void expect(float x, const char *want) {
    char buf[BB_FLOAT_CHARS];
    bb_format_float(buf, x);
    CHECK(strcmp(buf, want) == 0, "%.9g -> '%s', want '%s'", x, buf, want);
}

static void json_layout(void) {
    float m[2][3] = {{0.25f, 1.0f, 0.1f}, {1e-7f, 0.0f, 0.33333334f}};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "m", bb_json_floats(&m[0][0], 2, 3));
    cJSON_AddItemToObject(o, "v", bb_json_floats(&m[1][0], 0, 3));
    char *s = cJSON_PrintUnformatted(o);
    CHECK(s && strcmp(s, "{\"m\":[[0.25,1,0.1],[1e-7,0,0.33333334]],\"v\":[1e-7,0,0.33333334]}") == 0, "document %s",
          s ? s : "(null)");
    cJSON *back = s ? cJSON_Parse(s) : NULL;
    const cJSON *rows = cJSON_GetObjectItem(back, "m");
    int same = cJSON_GetArraySize(rows) == 2;
    for (int r = 0; same && r < 2; r++)
        for (int c = 0; c < 3; c++)
            same = same && (float)cJSON_GetArrayItem(cJSON_GetArrayItem(rows, r), c)->valuedouble == m[r][c];
    CHECK(same, "cJSON reads the matrix back to the same floats");
    cJSON_Delete(back);
    cJSON_Delete(o);
    free(s);
}

int main(void) {
    expect(0.0f, "0");
    expect(-0.0f, "-0");
    expect(NAN, "null");
    expect(INFINITY, "null");
    expect(-INFINITY, "null");
    expect(1.0f, "1");
    expect(-2.5f, "-2.5");
    expect(0.25f, "0.25");
    expect(0.1f, "0.1");
    expect(1.0f / 3.0f, "0.33333334");
    expect(nextafterf(1.0f, 2.0f), "1.0000001");
    expect(nextafterf(1.0f, 0.0f), "0.99999994");
    expect(123456.0f, "123456");
    expect(1e-6f, "0.000001");
    expect(1e-7f, "1e-7");
    expect(1.5e-7f, "1.5e-7");
    expect(1e20f, "100000000000000000000");
    expect(1e21f, "1e+21");
    expect(FLT_MAX, "3.4028235e+38");
    expect(FLT_MIN, "1.1754944e-38");
    expect(1e-38f, "1e-38");
    expect(from_bits(1), "1e-45");
    expect(from_bits(0x007fffff), "1.1754942e-38");
    json_layout();

    float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, 1e-38f, FLT_MIN, FLT_MAX, -FLT_MAX, FLT_EPSILON, 0.5f, 0.1f, 1e-45f};
    for (size_t i = 0; i < sizeof specials / sizeof *specials; i++) check_one(specials[i]);
    for (uint32_t u = 1; u < 0x00800000u; u += 997) check_one(from_bits(u)); /* denormals */
    for (int i = 0; i < 50000; i++) { /* near 1: probabilities of a confident head */
        check_one(from_bits(0x3f800000u + (uint32_t)i));
        check_one(from_bits(0x3f800000u - (uint32_t)i));
    }
    for (int e = -149; e <= 127; e++) check_one(ldexpf(1.0f, e));
    for (int e = -45; e <= 38; e++) {
        char t[16];
        snprintf(t, sizeof t, "1e%d", e);
        float p = strtof(t, NULL);
        check_one(p);
        check_one(nextafterf(p, 0));
        check_one(nextafterf(p, INFINITY));
    }
    bb_rng rng;
    bb_rng_seed(&rng, 19);
    for (int i = 0; i < 300000; i++) {
        uint32_t u = (uint32_t)bb_rng_u64(&rng);
        float x = from_bits(u);
        if (isfinite(x)) check_one(x);
    }
    for (int i = 0; i < 100000; i++) check_one(bb_rng_uniform(&rng)); /* probabilities */
    printf("%ld floats: %ld did not read back, %ld not shortest\n", checked, failed_roundtrip, failed_shortest);
    CHECK(failed_roundtrip == 0 && failed_shortest == 0, "every float reads back from the shortest text");
    return check_done();
}
