/* decimal.h — exact decimals: a signed 128-bit integer scaled by 10^-scale.
 *
 * Money is never binary floating point.  Precision is at most 38 digits.  Operations report
 * overflow instead of wrapping.  Rounding is half up (away from zero on a tie), the plan
 * language's default; "rounded up" / "rounded down" round away from / toward zero.
 */
#ifndef MF_DECIMAL_H
#define MF_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mf_dec {
    __int128 v;     /* unscaled value */
    int scale;      /* 0..38 */
} mf_dec;

#define MF_DEC_MAX_PREC 38

/* Plain decimal literal: optional sign, digits, optional '.' digits.  No separators. */
bool mf_dec_parse(const char *s, size_t n, mf_dec *out);

/* A number as clients write it.  thousands: separator char or 0; decimal: '.' or ','.
 * paren_negative: "(12.50)"; trailing_minus: "12.50-"; currency: symbol or code stripped
 * before or after the digits (NULL = none; "$", "€", "£", "USD" ...).  Leading '+'/'-' always
 * accepted; surrounding spaces ignored.  Thousands separators must be in groups of three. */
bool mf_dec_parse_fmt(const char *s, size_t n, char thousands, char decimal, bool paren_negative,
                      bool trailing_minus, const char *currency, mf_dec *out);

bool mf_dec_add(mf_dec a, mf_dec b, mf_dec *out);
bool mf_dec_sub(mf_dec a, mf_dec b, mf_dec *out);
bool mf_dec_mul(mf_dec a, mf_dec b, mf_dec *out);          /* exact; fails when scale > 38 or overflow */
/* a / b rounded half up to `scale` digits. Fails on b == 0 or overflow. */
bool mf_dec_div(mf_dec a, mf_dec b, int scale, mf_dec *out);
bool mf_dec_round(mf_dec a, int scale, mf_dec *out);       /* half up; also extends scale */
/* Rounding directions of "rounded [up|down] to N decimals" (Excel ROUND, ROUNDUP, ROUNDDOWN). */
typedef enum mf_round { MF_ROUND_HALF_UP = 0, MF_ROUND_UP = 1, MF_ROUND_DOWN = 2 } mf_round;
/* Round to scale digits: half up, up (away from zero) or down (toward zero); also extends scale. */
bool mf_dec_round_dir(mf_dec a, int scale, mf_round dir, mf_dec *out);
/* Change scale exactly: fails when digits would be lost or it overflows. */
bool mf_dec_rescale_exact(mf_dec a, int scale, mf_dec *out);
mf_dec mf_dec_neg(mf_dec a);
int mf_dec_cmp(mf_dec a, mf_dec b);
int mf_dec_sign(mf_dec a);
/* Number of digits of the unscaled value (precision actually used); 1 for zero. */
int mf_dec_digits(mf_dec a);
/* Does a fit decimal(prec, scale) after rescaling exactly? */
bool mf_dec_fits(mf_dec a, int prec, int scale);

/* Format with exactly a.scale digits after the point, '-' when negative; returns length.
 * out needs 48 bytes. */
int mf_dec_format(mf_dec a, char *out);
/* The same from the parts (v, scale): no 32-byte struct passed through the stack on the hot path. */
int mf_dec_format_parts(__int128 v, int scale, char *out);

#endif
