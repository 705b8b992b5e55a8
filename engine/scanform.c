/*
 * scanform.c: the form Hyperscan scans the normalised token stream in.
 *
 * Why.  In UTF-8 every Khmer letter is three bytes, E1 9E xx or E1 9F xx:
 * two of the three are the same all through a Khmer text, and the Khmer
 * entries of a codebook (hundreds of them, many two or three letters long)
 * differ only in every third byte.  Hyperscan's literal matchers pick
 * their candidates from a few bytes of each literal, so on Khmer text
 * nearly every position looks like a start, and each is confirmed at a
 * cost.  With the bench codebook, the lines of the Khmer-heavy bench
 * corpus scanned at 311 MB/s in UTF-8 and in 0.29 of that time in this
 * form, and Hyperscan had been 18% of a Khmer-heavy build (9% since).
 *
 * What.  The scan form of a UTF-8 string, unit by unit:
 *   - an ASCII character other than a control, or a line feed: itself,
 *     one byte (space and line feed are the token stream's separators);
 *   - a character of the Khmer block, U+1780-U+17FF: one byte, 0x80 plus
 *     its offset in the block;
 *   - anything else (another script's letter, an accented one, a control
 *     character, a byte that is not UTF-8): an escape, seven bytes: 0x01,
 *     then six hex digits of the code point written with the bytes
 *     0x10-0x1F (an invalid byte b is written as 0x200000 + b).
 *
 * Why matches do not change.  In both forms a match of an entry can only
 * start and end on a character boundary: UTF-8 synchronises itself, and in
 * the scan form the bytes inside an escape (0x10-0x1F) are never a unit of
 * their own, and 0x01 only ever starts one, so a literal that starts with
 * a one-byte unit cannot start inside an escape, nor one that starts with
 * an escape anywhere but at an escape.  The form maps characters to units
 * one for one, so an entry's scan form occurs at a unit boundary exactly
 * where its norm occurs at a character boundary.  The boundary checks
 * (match.c) read the same bytes around a match either way: an ASCII letter
 * or digit is itself in both, and anything else is a byte of 0x80 or more
 * in UTF-8 and a byte that is no ASCII letter or digit here.
 * tests/test_scanform.c holds the two scans to the same matches on every
 * shared corpus.
 */
#include "scan.h"

#include <string.h>

enum { ESCAPE = 0x01, DIGIT0 = 0x10, INVALID_BASE = 0x200000 };

static size_t put_escape(unsigned char *out, uint32_t cp)
{
    out[0] = ESCAPE;
    for (int d = 0; d < 6; d++)
        out[1 + d] = (unsigned char)(DIGIT0 | ((cp >> (20 - 4 * d)) & 0xF));
    return 7; /* PUPA_SCAN_FORM_MAX's factor */
}

/* The scan form of the Khmer letter at p, one pupa_khmer_run8 has checked:
 * pupa_khmer_index's value without its test again. */
static inline unsigned char khmer_byte(const unsigned char *p)
{
    return (unsigned char)(0x80 | ((p[1] & 1) << 6) | (p[2] & 0x3F));
}

/* The scan form of the unit at in[*i] (i < len) into out; returns its
 * length and moves *i past the unit. */
static inline size_t scan_unit(const unsigned char *in, size_t len, size_t *i,
                               unsigned char *out)
{
    size_t at = *i;
    unsigned char c = in[at];
    int k = pupa_khmer_index(in + at, len - at);
    if (k >= 0) {
        out[0] = (unsigned char)(0x80 | k);
        *i = at + 3;
        return 1;
    }
    if ((c >= 0x20 && c < 0x7F) || c == '\n') {
        out[0] = c;
        *i = at + 1;
        return 1;
    }
    if (c < 0x80) {
        *i = at + 1;
        return put_escape(out, c);
    }
    size_t n = pupa_utf8_len(in + at, len - at);
    *i = at + (n ? n : 1);
    return put_escape(out, n ? pupa_utf8_decode(in + at, n) : (uint32_t)INVALID_BASE + c);
}

int pupa_scan_form_is_identity(const char *text, size_t len)
{
    /* Branch-free, so the compiler reads many bytes a step. */
    unsigned char bad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        bad |= (unsigned char)((c >= 0x7F) | ((c < 0x20) & (c != '\n')));
    }
    return !bad;
}

size_t pupa_scan_form(const char *in, size_t len, char *out)
{
    size_t i = 0, o = 0;
    while (i < len)
        o += scan_unit((const unsigned char *)in, len, &i, (unsigned char *)out + o);
    return o;
}

/* Where the k-th token boundary is in the norm: token k / 2's start, or
 * (k odd) its end. */
static inline size_t norm_bound(const pupa_tokens *ts, size_t k)
{
    const pupa_token *t = &ts->tok[k / 2];
    return k % 2 ? t->norm_end : t->norm_start;
}

int pupa_scan_tokens(const pupa_tokens *ts, pupa_buf *out, uint32_t **bounds, size_t *cap)
{
    out->len = 0;
    int rc = pupa_buf_reserve(out, PUPA_SCAN_FORM_MAX(ts->norm_len));
    if (!rc && ts->ntok * 2 > *cap)
        rc = pupa_grow(bounds, cap, ts->ntok * 2, sizeof **bounds);
    if (rc)
        return rc;
    /* One pass over the norm, noting the scan offset at each token
     * boundary on the way. */
    const unsigned char *norm = (const unsigned char *)ts->norm;
    unsigned char *o = (unsigned char *)out->data;
    uint32_t *b = *bounds;
    size_t nb = 2 * ts->ntok, k = 0, next = nb ? norm_bound(ts, 0) : SIZE_MAX, i = 0, len = 0;
    for (;;) {
        while (i == next) {
            b[k++] = (uint32_t)len;
            next = k < nb ? norm_bound(ts, k) : SIZE_MAX;
        }
        if (i >= ts->norm_len)
            break;
        /* Eight Khmer letters at once: Khmer tokens are joined with no
         * separator, so the run goes on across them, and a boundary inside
         * it lies a whole number of letters in (a token's norm is whole
         * characters). */
        if (norm[i] == 0xE1 && i + 24 <= ts->norm_len && pupa_khmer_run8(norm + i)) {
            for (int c = 0; c < 8; c++)
                o[len + c] = khmer_byte(norm + i + 3 * c);
            for (; next < i + 24; next = k < nb ? norm_bound(ts, k) : SIZE_MAX)
                b[k++] = (uint32_t)(len + (next - i) / 3);
            i += 24;
            len += 8;
            continue;
        }
        /* A unit never reads past the next boundary: were a token's norm
         * to end inside a character, its bytes would be escaped one by
         * one, and no boundary would be stepped over. */
        len += scan_unit(norm, next < ts->norm_len ? next : ts->norm_len, &i, o + len);
    }
    out->len = len;
    out->data[len] = '\0';
    return 0;
}
