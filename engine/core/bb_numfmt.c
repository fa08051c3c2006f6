/* Shortest round-trip formatting of float32 (bb_numfmt.h).
 *
 * For P significant digits, the P-digit decimal nearest to x (then its neighbour on the other side of
 * x) is a candidate; the answer is the first candidate that reads back as x at the least P that has one
 * (9 digits always do). Whether some P has one only grows with P (a P-digit candidate inside x's
 * rounding interval, with a zero appended, is a (P+1)-digit decimal there, and the (P+1)-digit
 * candidate on its side lies between it and x), so that least P is found by bisection over 1..9: three
 * or four tries instead of up to nine. Doubles do the arithmetic: x is exact in a double, a power of
 * ten up to 1e22 is exact, larger ones are taken in steps of at most 1e22, so a scaled value carries a
 * relative error below 2^-50. A candidate reads back as x when its value lies strictly between the
 * midpoints from x to its neighbouring floats, which are 2^-25 of x apart or more: it is decided from
 * the double unless that lies within the error margin of a midpoint, and only then (about once in 10^7
 * candidates) by strtof, which is exact. Rounding to an integer adds and subtracts 2^52 (exact below
 * 2^52, ties to even as nearbyint in the default rounding mode, without its call), and the decimal
 * exponent comes from the binary one and one comparison: attention's 7,744 probabilities (bundled
 * model, 22 tokens) took 2.0 ms this way before, 0.5 ms now. */
#include "bb_numfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double pow10d[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* x * 10^k in steps of exact powers of ten (three at most for float32's range). */
static double scale10(double x, int k) {
    while (k > 22) {
        x *= 1e22;
        k -= 22;
    }
    while (k < -22) {
        x /= 1e22;
        k += 22;
    }
    return k >= 0 ? x * pow10d[k] : x / pow10d[-k];
}

/* digits * 10^e10 written as JavaScript's Number.toString does (digits > 0). */
static size_t emit(char *buf, int neg, uint64_t digits, int e10) {
    while (digits % 10 == 0) {
        digits /= 10;
        e10++;
    }
    char d[24];
    int k = 0;
    for (uint64_t v = digits; v; v /= 10) d[k++] = (char)('0' + v % 10);
    for (int i = 0; i < k / 2; i++) {
        char t = d[i];
        d[i] = d[k - 1 - i];
        d[k - 1 - i] = t;
    }
    int n = k + e10; /* the decimal point sits after n digits */
    char *o = buf;
    if (neg) *o++ = '-';
    if (k <= n && n <= 21) {
        memcpy(o, d, (size_t)k);
        o += k;
        for (int i = k; i < n; i++) *o++ = '0';
    } else if (0 < n && n <= 21) {
        memcpy(o, d, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, d + n, (size_t)(k - n));
        o += k - n;
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = n; i < 0; i++) *o++ = '0';
        memcpy(o, d, (size_t)k);
        o += k;
    } else {
        *o++ = d[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)(k - 1));
            o += k - 1;
        }
        int e = n - 1, ae = e < 0 ? -e : e;
        *o++ = 'e';
        *o++ = e < 0 ? '-' : '+';
        if (ae >= 10) *o++ = (char)('0' + ae / 10);
        *o++ = (char)('0' + ae % 10);
    }
    *o = 0;
    return (size_t)(o - buf);
}

/* Whether digits * 10^e10 reads back as ax, by strtof (exact, slow). */
static int reads_back_exact(uint64_t digits, int e10, float ax) {
    char s[40];
    snprintf(s, sizeof s, "%llue%d", (unsigned long long)digits, e10);
    return strtof(s, NULL) == ax;
}

/* Whether digits * 10^e10 reads back as ax, whose rounding interval is (lo, hi). */
static int reads_back(uint64_t digits, int e10, float ax, double lo, double hi) {
    const double margin = 0x1p-48; /* relative, above the error of scale10's at most four roundings */
    double v = scale10((double)digits, e10);
    double below = v * (1 - margin), above = v * (1 + margin);
    if (below > lo && above < hi) return 1;
    if (above < lo || below > hi) return 0;
    return reads_back_exact(digits, e10, ax);
}

/* v rounded to the nearest integer, ties to even (0 <= v < 2^52). */
static uint64_t round_even(double v) { return (uint64_t)((v + 0x1p52) - 0x1p52); }

/* The candidates of P digits for x (= d, exponent E): the first that reads back goes to *digits and
 * *e10 (the value is digits * 10^e10); 0 when neither does. */
static int try_digits(int P, double d, float ax, int E, double lo, double hi, uint64_t *digits, int *e10) {
    int s = P - 1 - E;
    double scaled = scale10(d, s);
    uint64_t D = round_even(scaled), cand[2] = {D, (double)D < scaled ? D + 1 : D - 1};
    for (int c = 0; c < 2; c++)
        if (cand[c] > 0 && reads_back(cand[c], -s, ax, lo, hi)) {
            *digits = cand[c];
            *e10 = -s;
            return 1;
        }
    return 0;
}

/* floor(log10(ax)) for a positive finite float (bits: its bits): 10^E <= ax < 10^(E+1). With ax in
 * [2^(e2-1), 2^e2), log10(2) * (e2 - 1) rounded down is E or E - 1; one comparison with 10^(E+1), exact
 * enough because a float is 2^-25 of itself or more away from a power of ten it does not equal,
 * settles it. */
static int decimal_exponent(double d, uint32_t bits) {
    int e2 = (int)(bits >> 23) - 126;
    if (bits >> 23 == 0) frexp(d, &e2); /* denormal: d = f * 2^e2, 0.5 <= f < 1 */
    int E = (int)floor((e2 - 1) * 0.30102999566398120);
    return scale10(d, -(E + 1)) >= 1 ? E + 1 : E;
}

size_t bb_format_float(char *buf, float x) {
    if (isnan(x) || isinf(x)) {
        memcpy(buf, "null", 5);
        return 4;
    }
    int neg = signbit(x) != 0;
    if (x == 0) {
        memcpy(buf, neg ? "-0" : "0", neg ? 3 : 2);
        return neg ? 2u : 1u;
    }
    float ax = fabsf(x);
    double d = ax;
    uint32_t bits;
    memcpy(&bits, &ax, sizeof bits);
    int E = decimal_exponent(d, bits);
    float fl, fh; /* the neighbouring floats toward 0 and toward infinity (nextafterf, without its call) */
    uint32_t bl = bits - 1, bh = bits + 1;
    memcpy(&fl, &bl, sizeof fl);
    memcpy(&fh, &bh, sizeof fh);
    double flo = fl, fhi = fh;
    double lo = d - (d - flo) / 2, hi = isinf(fh) ? d + (d - flo) / 2 : d + (fhi - d) / 2;
    uint64_t digits = 0;
    int e10 = 0, least = 1, most = 9, at = 0; /* the least P that reads back is in [least, most]; at: digits' P */
    while (least < most) {
        int P = (least + most) / 2;
        uint64_t dg;
        int ex;
        if (try_digits(P, d, ax, E, lo, hi, &dg, &ex)) {
            most = at = P;
            digits = dg, e10 = ex;
        } else {
            least = P + 1;
        }
    }
    if (at != least && !try_digits(least, d, ax, E, lo, hi, &digits, &e10))
        return (size_t)snprintf(buf, BB_FLOAT_CHARS, "%.9g", x); /* not reached: 9 digits always read back */
    return emit(buf, neg, digits, e10);
}

cJSON *bb_json_floats(const float *p, int rows, int cols) {
    int nested = rows > 0;
    size_t n = (size_t)(nested ? rows : 1) * (size_t)cols;
    size_t cap = n * (BB_FLOAT_CHARS + 1) + (size_t)(nested ? rows : 1) * 3 + 3;
    char *s = malloc(cap), *o = s;
    if (!s) return NULL;
    if (nested) *o++ = '[';
    for (int r = 0; r < (nested ? rows : 1); r++) {
        if (r) *o++ = ',';
        *o++ = '[';
        for (int c = 0; c < cols; c++) {
            if (c) *o++ = ',';
            o += bb_format_float(o, p[(size_t)r * (size_t)cols + (size_t)c]);
        }
        *o++ = ']';
    }
    if (nested) *o++ = ']';
    *o = 0;
    cJSON *item = cJSON_CreateRaw(s);
    free(s);
    return item;
}
