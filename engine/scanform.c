/*
 * scanform.c: the form Hyperscan scans the normalised token stream in.
 *
 * Why.  In UTF-8 every Khmer letter is three bytes, E1 9E xx or E1 9F xx:
 * two of the three are the same all through a Khmer text, and the Khmer
 * entries of a codebook (hundreds of them, many two or three letters long)
 * differ only in every third byte.  Hyperscan's literal matchers pick
 * their candidates from a few bytes of each literal, so on Khmer text
 * nearly every position looks like a start, and each is confirmed at a
 * cost: on the bench codebook a Khmer-heavy text scans at a third of the
 * speed of the same text with one byte a letter (bench/, 311 against
 * 1,080 MB/s), and that scan was a fifth of a Khmer-heavy build.
 *
 * What.  The scan form of a UTF-8 string, unit by unit:
 *   - an ASCII character other than a control: itself, one byte;
 *   - a character of the Khmer block, U+1780-U+17FF: one byte, 0x80 plus
 *     its offset in the block;
 *   - anything else (another script's letter, an accented one, a control
 *     character, a byte that is not UTF-8): an escape, seven bytes: 0x01,
 *     then six hex digits of the code point written with the bytes
 *     0x10-0x1F (an invalid byte b is written as 0x200000 + b).
 * Line feed and space, the token stream's separators, are ASCII.
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

/* The scan form of in[0, len) into out; returns its length.  Inline in
 * both callers: pupa_scan_tokens calls it for every token, and most
 * Khmer tokens are a few letters long. */
static inline size_t scan_range(const unsigned char *in, size_t len, unsigned char *out)
{
    size_t i = 0, o = 0;
    while (i < len) {
        unsigned char c = in[i];
        if (c == 0xE1 && i + 3 <= len && (in[i + 1] & 0xFE) == 0x9E &&
            (in[i + 2] & 0xC0) == 0x80) {
            out[o++] = (unsigned char)(0x80 | ((in[i + 1] & 1) << 6) | (in[i + 2] & 0x3F));
            i += 3;
        } else if ((c >= 0x20 && c < 0x7F) || c == '\n') {
            out[o++] = c;
            i++;
        } else if (c < 0x80) {
            o += put_escape(out + o, c);
            i++;
        } else {
            size_t n = pupa_utf8_len(in + i, len - i);
            o += put_escape(out + o, n ? pupa_utf8_decode(in + i, n) : (uint32_t)INVALID_BASE + c);
            i += n ? n : 1;
        }
    }
    return o;
}

size_t pupa_scan_form(const char *in, size_t len, char *out)
{
    return scan_range((const unsigned char *)in, len, (unsigned char *)out);
}

int pupa_scan_tokens(const pupa_tokens *ts, pupa_buf *out, uint32_t **bounds, size_t *cap)
{
    out->len = 0;
    int rc = pupa_buf_reserve(out, PUPA_SCAN_FORM_MAX(ts->norm_len));
    if (!rc && ts->ntok * 2 > *cap)
        rc = pupa_grow(bounds, cap, ts->ntok * 2, sizeof **bounds);
    if (rc)
        return rc;
    const unsigned char *norm = (const unsigned char *)ts->norm;
    unsigned char *o = (unsigned char *)out->data;
    uint32_t *b = *bounds;
    size_t done = 0;
    for (size_t k = 0; k < ts->ntok; k++) {
        const pupa_token *t = &ts->tok[k];
        /* The separator before the token, if any, then the token. */
        o += scan_range(norm + done, t->norm_start - done, o);
        b[2 * k] = (uint32_t)(o - (unsigned char *)out->data);
        o += scan_range(norm + t->norm_start, t->norm_end - t->norm_start, o);
        b[2 * k + 1] = (uint32_t)(o - (unsigned char *)out->data);
        done = t->norm_end;
    }
    o += scan_range(norm + done, ts->norm_len - done, o);
    out->len = (size_t)(o - (unsigned char *)out->data);
    out->data[out->len] = '\0';
    return 0;
}
