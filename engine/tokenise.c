/*
 * tokenise.c: ICU word tokenising and normalising, pupa_tokenize().
 *
 * It owns the step from a segment's UTF-8 text to the normalised token stream
 * that the matcher scans (pupa_tokens): which spans are words, what each word
 * normalises to, and the separators that join them.  Word boundaries come
 * from ICU, never from the patterns: Hyperscan's \b does not work on
 * non-ASCII text, and Khmer is written without spaces, so only ICU's
 * dictionary break engine knows where its words are.  In the matcher's
 * fast modes, plain Khmer segments go to the Khmer engine (khmerbreak.c),
 * which gives ICU's own boundaries faster, and the text between them to
 * ICU (split_tokens); the reference mode uses ICU for everything.
 *
 * One tokenizer holds everything a thread needs, set up once and reused for
 * every call, so tokenising in steady state allocates nothing:
 *  - one word break iterator.  The root locale: ICU 72 has no "km" tailoring
 *    ("km" falls back to root with U_USING_DEFAULT_WARNING), the Khmer
 *    dictionary engine is chosen by script, not locale, and transcripts mix
 *    Khmer and English;
 *  - one UText over the caller's UTF-8, reopened in place each call, so
 *    ICU's native indexes are byte offsets into the caller's text;
 *  - the NFKC_Casefold normaliser (it also drops default ignorables such as
 *    U+200B-U+200D inside a word);
 *  - UTF-16 and UTF-8 scratch, the norm buffer and the token array.
 *
 * Per token: only word-like tokens are kept (rule status at or above
 * UBRK_WORD_NONE_LIMIT: numbers, letters, kana, ideographs; ICU gives its
 * dictionary-broken Khmer words UBRK_WORD_LETTER).  The norm text is
 *   NFKC_Casefold, then U+2019 -> "'" (so "don’t" == "don't"), then the Khmer
 *   variant fold (khmer.c).
 * Two fast paths skip ICU's normaliser where its result is known: all-ASCII
 * tokens are lower-cased, and tokens made only of Khmer letters that
 * NFKC_Casefold leaves alone are copied, already folded (both the common
 * case).  A token that normalises to nothing is dropped and its span treated
 * like white space.
 *
 * pupa_tokenize_ascii (at the end) gives the same token stream for ASCII
 * text without ICU, from UAX #29's rules for ASCII; the matcher's fast mode
 * uses it, and tests/test_tokenise.c holds it to ICU on every shared corpus.
 * The hyphen helpers say when a gap between two words is a hyphen, for
 * entries like "well-being" (match.c).
 *
 * Before ICU sees it, the text's Khmer is folded (khmer.c) in a copy when
 * that changes anything: the fold keeps lengths, so offsets are unchanged,
 * and both spellings of a word get the same boundaries.
 *
 * Separators follow the rule in pupa.h; "only white space" means Unicode
 * White_Space plus the invisible U+200B-U+200D, U+2060, U+FEFF that Khmer
 * text puts between words.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>

/* norm may grow past the input: NFKC expands some characters up to 18 times
 * and separators add a byte a token.  Cap it well inside uint32_t offsets. */
#define NORM_MAX ((size_t)PUPA_MAX_SEGMENT_BYTES * 8u)

struct pupa_tokenizer {
    UBreakIterator *bi;
    UText ut;
    const UNormalizer2 *nfkc_cf;
    /* Khmer code points U+1780-U+17FF that NFKC_Casefold leaves unchanged in
     * any context: a token made only of these is its own normal form. */
    unsigned char khmer_stable[128];
    UChar *u16, *u16n;   /* UTF-16 of a token, and its normal form */
    size_t u16_cap, u16n_cap;
    char *u8;            /* normal form back in UTF-8, before the Khmer fold */
    size_t u8_cap;
    pupa_buf norm;
    pupa_buf prefold;    /* the text with its Khmer folded, when that differs */
    pupa_token *tok;
    size_t tok_cap;
    /* The Khmer engine (khmerbreak.c) for plain Khmer segments, when on:
     * its characters and the boundaries it finds. */
    int khmer_engine;
    uint8_t *kb_sym;
    int32_t *kb_brk;
    size_t kb_cap;
};

static int icu_fail(UErrorCode st, const char *what)
{
    return pupa_fail(PUPA_EICU, "ICU %s: %s", what, u_errorName(st));
}

/* Which Khmer letters may skip the normaliser.  Inert characters (ccc 0,
 * nothing composes or reorders with them, NFKC_Casefold maps them to
 * themselves) qualify; so does coeng U+17D2, the only Khmer character with a
 * non-zero combining class used in words (9): next to inert characters and
 * other coengs it never reorders.  U+17DD (ccc 230) and the default
 * ignorables U+17B4/U+17B5 do not qualify and take the full path. */
static int init_khmer_stable(pupa_tokenizer *t)
{
    UErrorCode st = U_ZERO_ERROR;
    for (uint32_t c = 0x1780; c <= 0x17FF; c++) {
        int ok = unorm2_isInert(t->nfkc_cf, (UChar32)c);
        if (c == 0x17D2) {
            UChar src[1] = {0x17D2}, dst[8];
            int32_t n = unorm2_normalize(t->nfkc_cf, src, 1, dst, 8, &st);
            if (U_FAILURE(st))
                return icu_fail(st, "unorm2_normalize");
            ok = n == 1 && dst[0] == 0x17D2;
        }
        t->khmer_stable[c - 0x1780] = (unsigned char)ok;
    }
    return 0;
}

int pupa_tokenizer_new(pupa_tokenizer **out)
{
    *out = NULL;
    pupa_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    UText init = UTEXT_INITIALIZER;
    t->ut = init;
    pupa_buf_init(&t->norm, NORM_MAX);
    pupa_buf_init(&t->prefold, PUPA_MAX_SEGMENT_BYTES + 1);
    UErrorCode st = U_ZERO_ERROR;
    t->bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
    if (U_FAILURE(st)) {
        pupa_tokenizer_free(t);
        return icu_fail(st, "ubrk_open(UBRK_WORD)");
    }
    t->nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    if (U_FAILURE(st)) {
        pupa_tokenizer_free(t);
        return icu_fail(st, "unorm2_getNFKCCasefoldInstance");
    }
    int rc = init_khmer_stable(t);
    if (rc) {
        pupa_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void pupa_tokenizer_free(pupa_tokenizer *t)
{
    if (!t)
        return;
    if (t->bi)
        ubrk_close(t->bi);
    utext_close(&t->ut);
    free(t->u16);
    free(t->u16n);
    free(t->u8);
    pupa_buf_free(&t->norm);
    pupa_buf_free(&t->prefold);
    free(t->tok);
    free(t->kb_sym);
    free(t->kb_brk);
    free(t);
}

/* Room for n more bytes of norm (and its NUL).  The check is inline: it runs
 * once or twice a token, and the call is most of its cost on English. */
static inline int norm_room(pupa_tokenizer *t, size_t n)
{
    if (t->norm.cap - t->norm.len > n && n <= NORM_MAX - t->norm.len)
        return 0;
    return pupa_buf_reserve(&t->norm, n);
}

/* A hyphen or dash that joins words. */
static int is_hyphen(uint32_t c)
{
    return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0xFE63 ||
           c == 0xFF0D;
}

enum { GAP_HYPHEN = 1, GAP_OTHER = 2 };

/* What the gap [p, end) between two words holds besides white space and
 * the invisible separators (U+200B-U+200D, U+2060, U+FEFF): GAP_HYPHEN for
 * hyphens and dashes, GAP_OTHER for anything else (invalid UTF-8 too), both
 * or neither. */
static int gap_holds(const unsigned char *p, const unsigned char *end)
{
    int holds = 0;
    while (p < end) {
        uint32_t c = *p;
        size_t n = 1;
        if (c >= 0x80) {
            if (!(n = pupa_utf8_len(p, (size_t)(end - p))))
                return holds | GAP_OTHER;
            c = pupa_utf8_decode(p, n);
        }
        int space = c < 0x80 ? c == ' ' || (c >= '\t' && c <= '\r')
                             : u_isUWhiteSpace((UChar32)c) || (c >= 0x200B && c <= 0x200D) ||
                                   c == 0x2060 || c == 0xFEFF;
        if (!space && is_hyphen(c))
            holds |= GAP_HYPHEN;
        else if (!space)
            return holds | GAP_OTHER;
        p += n;
    }
    return holds;
}

int pupa_hyphen_gap(const char *text, size_t n)
{
    const unsigned char *p = (const unsigned char *)text;
    return gap_holds(p, p + n) == GAP_HYPHEN;
}

/* Is the source gap [p, end) only white space and invisible separators?
 * Per token, so ASCII white space, the common gap, is skipped inline. */
static inline int gap_is_space(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
        p++;
    return p == end || gap_holds(p, end) == 0;
}

/* Appends the NFKC_Casefold of a non-ASCII token to t->u8; returns its length
 * through *n8.  The token may hold invalid UTF-8 (not from the reader, but it
 * must not crash): it becomes U+FFFD. */
static int normalize_icu(pupa_tokenizer *t, const char *s, size_t len, size_t *n8)
{
    UErrorCode st = U_ZERO_ERROR;
    /* UTF-16 never has more units than UTF-8 has bytes. */
    if (pupa_grow(&t->u16, &t->u16_cap, len + 1, sizeof(UChar)))
        return PUPA_ENOMEM;
    int32_t n16 = 0;
    u_strFromUTF8WithSub(t->u16, (int32_t)t->u16_cap, &n16, s, (int32_t)len, 0xFFFD, NULL,
                         &st);
    if (U_FAILURE(st))
        return icu_fail(st, "u_strFromUTF8");
    const UChar *src = t->u16;
    int32_t nn = n16;
    /* Most tokens are already normal: skip the copy through the normaliser. */
    if (unorm2_spanQuickCheckYes(t->nfkc_cf, t->u16, n16, &st) != n16) {
        if (U_FAILURE(st))
            return icu_fail(st, "unorm2_spanQuickCheckYes");
        if (t->u16n_cap < (size_t)n16 * 2 + 16 &&
            pupa_grow(&t->u16n, &t->u16n_cap, (size_t)n16 * 2 + 16, sizeof(UChar)))
            return PUPA_ENOMEM;
        for (;;) {
            st = U_ZERO_ERROR;
            nn = unorm2_normalize(t->nfkc_cf, t->u16, n16, t->u16n, (int32_t)t->u16n_cap,
                                  &st);
            if (st != U_BUFFER_OVERFLOW_ERROR)
                break;
            if ((size_t)nn + 1 > NORM_MAX)
                return pupa_fail(PUPA_ETOOBIG, "a token normalises to over %zu characters",
                                 NORM_MAX);
            if (pupa_grow(&t->u16n, &t->u16n_cap, (size_t)nn + 1, sizeof(UChar)))
                return PUPA_ENOMEM;
        }
        if (U_FAILURE(st))
            return icu_fail(st, "unorm2_normalize");
        src = t->u16n;
    } else if (U_FAILURE(st)) {
        return icu_fail(st, "unorm2_spanQuickCheckYes");
    }
    /* A UTF-16 unit is at most 3 UTF-8 bytes (a pair is 4 for 2 units). */
    if (pupa_grow(&t->u8, &t->u8_cap, (size_t)nn * 3 + 1, 1))
        return PUPA_ENOMEM;
    int32_t got = 0;
    st = U_ZERO_ERROR;
    u_strToUTF8(t->u8, (int32_t)t->u8_cap, &got, src, nn, &st);
    if (U_FAILURE(st))
        return icu_fail(st, "u_strToUTF8");
    *n8 = (size_t)got;
    return 0;
}

/* Is the token made only of Khmer letters that are their own normal form? */
static int khmer_stable_token(const pupa_tokenizer *t, const unsigned char *s, size_t len)
{
    if (len % 3)
        return 0;
    for (size_t i = 0; i < len; i += 3) {
        int k = pupa_khmer_index(s + i, 3);
        if (k < 0 || !t->khmer_stable[k])
            return 0;
    }
    return 1;
}

/* Appends the norm text of the token s[0, len) to t->norm; returns how many
 * bytes it added (0: the token normalises to nothing).  stable: the caller
 * knows every character is in t->khmer_stable. */
static int append_norm(pupa_tokenizer *t, const char *s, size_t len, int stable,
                       size_t *added)
{
    const unsigned char *u = (const unsigned char *)s;
    int rc = norm_room(t, len);
    if (rc)
        return rc;
    /* ASCII: NFKC_Casefold of ASCII is lower-casing, nothing else.  Written
     * while checking; a non-ASCII byte abandons the copy. */
    char *d = t->norm.data + t->norm.len;
    size_t i = 0;
    for (; i < len && u[i] < 0x80; i++)
        d[i] = (char)(u[i] >= 'A' && u[i] <= 'Z' ? u[i] + 32 : u[i]);
    if (i == len) {
        *added = len;
        return 0;
    }
    if (stable || khmer_stable_token(t, u, len)) {
        /* Its own normal form, and already folded: the text ICU read was
         * folded (pupa_tokenize), and a span of folded text is folded too,
         * even one cut inside a cluster (the fold's replacements look only
         * at a coeng and the letter after it, and a cut leaves every
         * cluster's marks in the canonical order they were in). */
        memcpy(d, s, len);
        *added = len;
        return 0;
    }
    size_t n = 0;
    if ((rc = normalize_icu(t, s, len, &n)))
        return rc;
    /* U+2019 (E2 80 99) -> "'", in place: it only shrinks. */
    char *p = t->u8, *w = t->u8, *end = t->u8 + n;
    while (p < end) {
        if ((unsigned char)p[0] == 0xE2 && end - p >= 3 && (unsigned char)p[1] == 0x80 &&
            (unsigned char)p[2] == 0x99) {
            *w++ = '\'';
            p += 3;
        } else {
            *w++ = *p++;
        }
    }
    n = (size_t)(w - t->u8);
    if ((rc = norm_room(t, n)))
        return rc;
    *added = pupa_khmer_fold(t->u8, n, t->norm.data + t->norm.len);
    return 0;
}

/* The token assembly's state across the pieces of one text. */
typedef struct assembly {
    size_t ntok;
    size_t gap_from;  /* end of the last word-like token, kept or not */
    int gap_space;    /* only white space since the last kept token */
    int prev_khmer;
} assembly;

/* Adds the word-like token text[start, end): its separator, its norm, its
 * entry in t->tok.  stable as for append_norm. */
static int add_token(pupa_tokenizer *t, const char *text, size_t start, size_t end,
                     int stable, assembly *as)
{
    if (as->gap_space && start > as->gap_from)
        as->gap_space = gap_is_space((const unsigned char *)text + as->gap_from,
                                     (const unsigned char *)text + start);
    as->gap_from = end;

    const char *s = text + start;
    size_t n = end - start;
    size_t cl = (unsigned char)s[0] < 0x80 ? 0 : pupa_utf8_len((const unsigned char *)s, n);
    int khmer = cl && pupa_is_khmer_cp(pupa_utf8_decode((const unsigned char *)s, cl));

    /* Separator first (at most one byte); taken back if the token
     * normalises to nothing. */
    int rc;
    size_t mark = t->norm.len;
    if (as->ntok) {
        const char *sep = !as->gap_space ? "\n" : (khmer && as->prev_khmer) ? "" : " ";
        if (*sep) {
            if ((rc = norm_room(t, 1)))
                return rc;
            t->norm.data[t->norm.len++] = *sep;
        }
    }
    size_t added = 0;
    if ((rc = append_norm(t, s, n, stable, &added)))
        return rc;
    if (added == 0) {
        t->norm.len = mark;  /* dropped: its span counts as white space */
        return 0;
    }
    if (as->ntok == t->tok_cap &&
        (rc = pupa_grow(&t->tok, &t->tok_cap, as->ntok + 1, sizeof *t->tok)))
        return rc;
    pupa_token *k = &t->tok[as->ntok++];
    k->src_start = (uint32_t)start;
    k->src_end = (uint32_t)end;
    k->norm_start = (uint32_t)(t->norm.len);
    k->norm_end = (uint32_t)(t->norm.len + added);
    k->script = khmer ? PUPA_SCRIPT_KHMER : PUPA_SCRIPT_OTHER;
    t->norm.len += added;
    as->prev_khmer = khmer;
    as->gap_space = 1;
    return 0;
}

/* ICU's word-like tokens of text[from, to). */
static int icu_tokens(pupa_tokenizer *t, const char *text, size_t from, size_t to,
                      assembly *as)
{
    UErrorCode st = U_ZERO_ERROR;
    utext_openUTF8(&t->ut, text + from, (int64_t)(to - from), &st);
    if (U_FAILURE(st))
        return icu_fail(st, "utext_openUTF8");
    ubrk_setUText(t->bi, &t->ut, &st);
    if (U_FAILURE(st))
        return icu_fail(st, "ubrk_setUText");
    int32_t start = ubrk_first(t->bi), end;
    for (; (end = ubrk_next(t->bi)) != UBRK_DONE; start = end) {
        if (ubrk_getRuleStatus(t->bi) < UBRK_WORD_NONE_LIMIT)
            continue;
        int rc = add_token(t, text, from + (size_t)start, from + (size_t)end, 0, as);
        if (rc)
            return rc;
    }
    return 0;
}

/* The words of the plain Khmer segment text[from, to), from khmerbreak.c. */
static int khmer_tokens(pupa_tokenizer *t, const char *text, size_t from, size_t to,
                        assembly *as)
{
    size_t n = (to - from) / 3;
    if (n > t->kb_cap) {
        uint8_t *sym = realloc(t->kb_sym, n);
        if (sym)
            t->kb_sym = sym;
        int32_t *brk = sym ? realloc(t->kb_brk, n * sizeof *brk) : NULL;
        if (!brk)
            return pupa_fail(PUPA_ENOMEM, "out of memory");
        t->kb_brk = brk;
        t->kb_cap = n;
    }
    /* Whether every character needs no normalising comes with the break,
     * which reads each one anyway: then no token is checked again. */
    int stable;
    size_t nb = pupa_khmer_break_segment(text + from, to - from, t->kb_sym, t->kb_brk,
                                         t->khmer_stable, &stable);
    size_t start = from;
    for (size_t k = 0; k <= nb; k++) {
        size_t end = k < nb ? from + (size_t)t->kb_brk[k] : to;
        int rc = add_token(t, text, start, end, stable, as);
        if (rc)
            return rc;
        start = end;
    }
    return 0;
}

/* The engine's split: plain Khmer segments (khmerbreak.c) to the Khmer
 * engine, the text between them to ICU, unless it holds only separators,
 * which make no words.  A piece for ICU starts and ends with a separator
 * (or the text's edge), and ICU's rules neither join a separator to the
 * letter beside it nor look across one, so its boundaries are those ICU
 * gives the whole text (tests/test_khmerbreak.c). */
static int split_tokens(pupa_tokenizer *t, const char *text, size_t len, assembly *as)
{
    size_t rest = 0, i = 0;
    int before = PUPA_SEP_HARD; /* the separator class before i; NONE: not one */
    int rest_has_words = 0;
    while (i < len) {
        if (before != PUPA_SEP_NONE) {
            int plain;
            size_t end = pupa_khmer_segment_at(text, len, i, before, &plain);
            if (plain) {
                int rc = rest_has_words ? icu_tokens(t, text, rest, i, as) : 0;
                if (rc || (rc = khmer_tokens(t, text, i, end, as)))
                    return rc;
                rest = i = end;
                rest_has_words = 0;
                before = PUPA_SEP_NONE;
                continue;
            }
            if (end > i) {
                rest_has_words = 1;
                before = PUPA_SEP_NONE;
                i = end;
                continue;
            }
        }
        size_t sep = pupa_khmer_separator_at(text, len, i, &before);
        if (sep) {
            i += sep;
        } else {
            size_t cl = pupa_utf8_len((const unsigned char *)text + i, len - i);
            i += cl ? cl : 1;
            rest_has_words = 1;
        }
    }
    return rest_has_words ? icu_tokens(t, text, rest, len, as) : 0;
}

int pupa_tokenize(pupa_tokenizer *t, const char *text, size_t len, pupa_tokens *out)
{
    out->norm = "";
    out->norm_len = 0;
    out->tok = NULL;
    out->ntok = 0;
    if (!t || (!text && len))
        return pupa_fail(PUPA_EINVAL, "pupa_tokenize: NULL argument");
    if (len > PUPA_MAX_SEGMENT_BYTES)
        return pupa_fail(PUPA_ETOOBIG, "segment of %zu bytes is over the limit of %u", len,
                         PUPA_MAX_SEGMENT_BYTES);
    /* ICU splits the two spellings of one Khmer word differently (យុត្ដិធម៌
     * is cut between its coeng and ដ, យុត្តិធម៌ is one word), so folding
     * token by token would leave them apart.  ICU reads the folded text
     * instead: the fold keeps every length, so offsets stay the caller's. */
    size_t fold_from = pupa_khmer_fold_from(text, len);
    if (fold_from < len) {
        int frc = pupa_buf_reserve(&t->prefold, len);
        if (frc)
            return frc;
        memcpy(t->prefold.data, text, fold_from); /* the fold leaves this as it is */
        pupa_khmer_fold(text + fold_from, len - fold_from, t->prefold.data + fold_from);
        t->prefold.data[len] = '\0';
        text = t->prefold.data;
    }
    t->norm.len = 0;
    int rc = pupa_buf_reserve(&t->norm, 0);
    if (rc)
        return rc;
    t->norm.data[0] = '\0';
    if (len == 0) {
        out->norm = t->norm.data;
        return 0;
    }

    assembly as = {0, 0, 1, 0};
    rc = t->khmer_engine ? split_tokens(t, text, len, &as) : icu_tokens(t, text, 0, len, &as);
    if (rc)
        return rc;
    t->norm.data[t->norm.len] = '\0';
    out->norm = t->norm.data;
    out->norm_len = t->norm.len;
    out->tok = t->tok;
    out->ntok = as.ntok;
    return 0;
}

int pupa_tokenizer_use_khmer_engine(pupa_tokenizer *t, int on)
{
    t->khmer_engine = on && pupa_khmer_break_ready();
    return t->khmer_engine;
}

/* ------------------------------------------------------- ASCII, no ICU */

/* Word-break classes of ASCII (UAX #29, as ICU's word rules use them). */
enum {
    AC_SPACE,  /* white space: a break on both sides, a " " gap */
    AC_LETTER, /* ALetter */
    AC_DIGIT,  /* Numeric */
    AC_MIDNUMLETQ, /* . and ': inside a word between letters or digits */
    AC_MIDNUM,     /* , and ;: inside a number between digits */
    AC_OTHER,      /* punctuation with no rule of its own: a break on both sides */
    AC_ICU         /* anything else: control characters; : and _, whose rules
                    * differ between UAX #29 and ICU's tailoring; @, which ICU
                    * keeps in a word ("jo@samaritans.org"): ask ICU */
};

/* The class of each ASCII byte; AC_SPACE is 0, so the table lists the rest. */
static const unsigned char ascii_classes[128] = {
    [0 ... 8] = AC_ICU, [14 ... 31] = AC_ICU, [127] = AC_ICU,
    ['!' ... '&'] = AC_OTHER, ['\''] = AC_MIDNUMLETQ, ['(' ... '+'] = AC_OTHER,
    [','] = AC_MIDNUM, ['-'] = AC_OTHER, ['.'] = AC_MIDNUMLETQ, ['/'] = AC_OTHER,
    ['0' ... '9'] = AC_DIGIT, [':'] = AC_ICU, [';'] = AC_MIDNUM, ['<' ... '?'] = AC_OTHER,
    ['@'] = AC_ICU, ['A' ... 'Z'] = AC_LETTER, ['[' ... '^'] = AC_OTHER, ['_'] = AC_ICU,
    ['`'] = AC_OTHER, ['a' ... 'z'] = AC_LETTER, ['{' ... '~'] = AC_OTHER,
};

/* ASCII letters and digits, by byte. */
static const unsigned char ascii_alnum[256] = {
    ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1,
};

/* The class of byte c; any byte of a non-ASCII character is for ICU. */
static inline int ascii_class(unsigned char c) { return c < 0x80 ? ascii_classes[c] : AC_ICU; }

void pupa_ascii_tokens_init(pupa_ascii_tokens *ab)
{
    pupa_buf_init(&ab->norm, (size_t)PUPA_MAX_SEGMENT_BYTES + 1);
    ab->tok = NULL;
    ab->tok_cap = 0;
}

void pupa_ascii_tokens_free(pupa_ascii_tokens *ab)
{
    pupa_buf_free(&ab->norm);
    free(ab->tok);
    ab->tok = NULL;
    ab->tok_cap = 0;
}

/* A word runs over letters and digits (WB5, WB8-WB10), and over one . or '
 * between two letters (WB6, WB7) or one . ' , ; between two digits (WB11,
 * WB12); everything else breaks.  Words are word-like tokens (ICU gives
 * them a letter or number rule status), the rest is dropped, and NFKC case
 * folding of ASCII is lower-casing.  Separators as in pupa_tokenize: " "
 * across white space only, "\n" across anything else. */
int pupa_tokenize_ascii(pupa_ascii_tokens *ab, const char *text, size_t len, pupa_tokens *out)
{
    const unsigned char *s = (const unsigned char *)text;
    pupa_buf *nb = &ab->norm;
    nb->len = 0;
    int rc = pupa_buf_reserve(nb, len);
    if (rc)
        return rc;
    size_t ntok = 0;
    int gap_space = 1;
    for (size_t i = 0; i < len;) {
        int c = ascii_class(s[i]);
        if (c == AC_ICU)
            return 0; /* a character for ICU: what was written is dropped */
        if (c != AC_LETTER && c != AC_DIGIT) {
            gap_space = gap_space && c == AC_SPACE;
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < len) {
            /* Letters and digits, the bulk of a word, in a tight loop. */
            while (j < len && ascii_alnum[s[j]])
                j++;
            if (j >= len)
                break;
            int cj = ascii_class(s[j]);
            if ((cj == AC_MIDNUMLETQ || cj == AC_MIDNUM) && j + 1 < len) {
                int before = ascii_class(s[j - 1]), after = ascii_class(s[j + 1]);
                if ((cj == AC_MIDNUMLETQ && before == AC_LETTER && after == AC_LETTER) ||
                    (before == AC_DIGIT && after == AC_DIGIT)) {
                    j += 2;
                    continue;
                }
            }
            break;
        }
        if (ntok == ab->tok_cap &&
            (rc = pupa_grow(&ab->tok, &ab->tok_cap, ntok + 1, sizeof *ab->tok)))
            return rc;
        if (ntok)
            nb->data[nb->len++] = gap_space ? ' ' : '\n';
        pupa_token *t = &ab->tok[ntok++];
        t->src_start = (uint32_t)i;
        t->src_end = (uint32_t)j;
        t->norm_start = (uint32_t)nb->len;
        /* Lower-cased without a branch, through a local pointer: the
         * compiler copies many bytes a step. */
        char *o = nb->data + nb->len;
        for (size_t k = 0; k < j - i; k++) {
            unsigned char c = s[i + k];
            o[k] = (char)(c + ((unsigned char)(c - 'A') < 26 ? 32 : 0));
        }
        nb->len += j - i;
        i = j;
        t->norm_end = (uint32_t)nb->len;
        t->script = PUPA_SCRIPT_OTHER;
        gap_space = 1;
    }
    nb->data[nb->len] = '\0';
    *out = (pupa_tokens){nb->data, nb->len, ab->tok, ntok};
    return 1;
}
