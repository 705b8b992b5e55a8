/*
 * khmerbreak.c: the word boundaries ICU puts inside a plain Khmer segment,
 * worked out without going through ICU's break iterator.
 *
 * Why.  On Khmer text ICU spends most of its time around its dictionary
 * rather than in it: the UTF-8 UText, the rule engine, the break cache and
 * set lookups per character.  The fast path (match.c) tokenises whole
 * Khmer runs around its candidates, and most Khmer-heavy segments whole,
 * so that cost was most of a Khmer-heavy build.
 *
 * What.  A *plain segment* is a maximal run of characters of ICU's Khmer
 * dictionary set ([[:Khmr:]&[:LineBreak=SA:]]) and digits (ASCII and
 * Khmer), that starts with a letter or a digit (not a combining mark) and
 * has a separator or the text's edge on both sides
 * (pupa_khmer_separator_at: white space, and punctuation ICU's word rules
 * never join to a letter nor look across).  ICU's word rules make it one
 * segment of its own and hand each run of dictionary characters in it to
 * its Khmer dictionary engine; the segment's boundaries are its edges and
 * that engine's breaks, so digits stay with the words beside them, and
 * every piece is a word (digits alone are one number: Numeric x Numeric).
 * This file runs the same engine, step for step
 * (ICU 72's KhmerBreakEngine: up to 20 dictionary words at a position, a
 * look-ahead of three words, the resynchronisation after a non-word, marks
 * kept with the word before them), over ICU's own dictionary (khmerdict,
 * laid out as a double array by khmerda.c).  Everything else stays with
 * ICU (tokenise.c).
 *
 * Trust.  The boundaries must be ICU's, byte for byte.
 * tests/test_khmerbreak.c holds the engine to ICU on every Khmer line of
 * every shared corpus and on generated text, with the ICU the library is
 * built against.  When the process runs on another ICU (another version,
 * or a dictionary the compiled array was not made from), the engine first
 * checks itself against that ICU's iterator on generated text made from
 * common words and letters; if one boundary differs, it switches itself
 * off and ICU does all the work.  On the ICU it was built and tested
 * against, that check (3 ms, most of the serial start of a small update)
 * would only repeat what the tests showed, and is skipped.
 *
 * Inside a run of dictionary characters, positions are in characters:
 * each is three UTF-8 bytes (U+1780-U+17DD), so a character index is a
 * byte offset / 3 from the run's start.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utext.h>
#include <unicode/uversion.h>

/* ---------------------------------------------------------------- sets */

/* Per code point U+1780-U+17FF (bit flags). */
enum {
    KB_DICT = 1,  /* in the engine's set: [[:Khmr:]&[:LineBreak=SA:]] */
    KB_MARK = 2,  /* ... and a combining mark: never a word's first character */
    KB_END = 4,   /* may end a word when resynchronising (all but coeng) */
    KB_BEGIN = 8, /* may begin one (consonants and independent vowels) */
    KB_START = 16 /* may start a plain segment: not Extend, Format or ZWJ */
};
static unsigned char kb_class[0x80];

/* ------------------------------------------------- the dictionary */

/* ICU's Khmer dictionary as a double array (khmerda.c): the one compiled
 * into the library, or one laid out at setup when ICU's dictionary is not
 * the one the library was built with.  No step leaves it
 * (pupa_khmer_da_valid). */
static const uint32_t *kb_da;

/* ------------------------------------------------------- the engine */

enum {
    WORDS_MAX = 20,       /* candidates kept at one position */
    LOOKAHEAD = 3,        /* words in a row that are good enough */
    ROOT_COMBINE = 3,     /* a non-word joins a word shorter than this */
    PREFIX_COMBINE = 3    /* ... unless it shares this much with a word */
};

/* The dictionary words that start at one position, shortest first, and
 * how far the trie walk got (in characters, the failing one included).
 * `cur` and `mark` are the candidate being tried and the one preferred. */
typedef struct words_at {
    int32_t at;
    int count, prefix, cur, mark;
    int32_t len[WORDS_MAX + 1]; /* + 1: candidates writes one ahead */
} words_at;

/* Fills w with the words of sym[at, n), unless it already holds them;
 * returns how many, and selects the longest (the position after it is
 * at + w->len[w->count - 1]).  Up to WORDS_MAX words are kept, but the
 * walk goes on to the end of the longest, as ICU's does: `prefix` counts
 * every character it read, the one that matched nothing included. */
static int candidates(words_at *w, const uint8_t *sym, int32_t at, int32_t n)
{
    if (w->at != at) {
        w->at = at;
        w->count = 0;
        int32_t i = at;
        uint32_t cell = kb_da[PUPA_DA_ROOT];
        while (i < n) {
            uint32_t c = sym[i++];
            cell = kb_da[(cell >> 10) + c];
            if (((cell >> 2) & 0xFF) != c + 1)
                break; /* no word goes on with c */
            /* Written always, kept if a word ends here: no branch to
             * mispredict on where words end. */
            w->len[w->count] = i - at;
            w->count += (cell & PUPA_DA_WORD) && w->count < WORDS_MAX;
            if (!(cell & PUPA_DA_MORE))
                break;
        }
        w->prefix = i - at;
    }
    w->cur = w->mark = w->count - 1;
    return w->count;
}

/* Steps back to the next shorter candidate: 0 if there is none. */
static int back_up(words_at *w, int32_t *pos)
{
    if (w->cur <= 0)
        return 0;
    *pos = w->at + w->len[--w->cur];
    return 1;
}

static inline int has(int32_t c, int flag) { return kb_class[c & 0x7F] & flag; }

/* The boundaries inside the plain run sym[0, n) (characters as code point
 * minus U+1780), in order, into brk; returns how many.  brk has room for n. */
static size_t divide_run(const uint8_t *sym, int32_t n, int32_t *brk)
{
    size_t nb = 0;
    if (n < 2) /* ICU's minimum: four bytes, two words of two */
        return 0;
    words_at words[LOOKAHEAD];
    for (int k = 0; k < LOOKAHEAD; k++)
        words[k].at = -1;
    uint32_t found = 0;
    int32_t pos = 0;
    while (pos < n) {
        int32_t current = pos, wlen = 0, dict_len = 0;
        words_at *w = &words[found % LOOKAHEAD];
        int c = candidates(w, sym, current, n);
        if (c > 0)
            pos = current + w->len[c - 1];
        if (c == 1) {
            wlen = dict_len = w->len[w->mark];
            found++;
            pos = current + wlen;
        } else if (c > 1) {
            /* The candidate that leads on to the most words. */
            if (pos < n) {
                do {
                    words_at *w1 = &words[(found + 1) % LOOKAHEAD];
                    int c1 = candidates(w1, sym, pos, n);
                    if (c1 > 0) {
                        pos += w1->len[c1 - 1];
                        w->mark = w->cur;
                        if (pos >= n)
                            break;
                        int third = 0;
                        do {
                            words_at *w2 = &words[(found + 2) % LOOKAHEAD];
                            if (candidates(w2, sym, pos, n) > 0) {
                                w->mark = w->cur;
                                third = 1;
                                break;
                            }
                        } while (back_up(w1, &pos));
                        if (third)
                            break;
                    }
                } while (back_up(w, &pos));
            }
            wlen = dict_len = w->len[w->mark];
            found++;
            pos = current + wlen;
        }
        /* A short word followed by a non-word: join them, up to the next
         * place a dictionary word could start. */
        if (pos < n && dict_len < ROOT_COMBINE) {
            words_at *wn = &words[found % LOOKAHEAD];
            if (candidates(wn, sym, pos, n) <= 0 &&
                (wlen == 0 || wn->prefix < PREFIX_COMBINE)) {
                int32_t remaining = n - (current + wlen), chars = 0;
                for (;;) {
                    int32_t pc = sym[pos++];
                    chars++;
                    if (--remaining <= 0)
                        break;
                    int32_t uc = sym[pos];
                    if (has(pc, KB_END) && has(uc, KB_BEGIN)) {
                        int more = candidates(&words[(found + 1) % LOOKAHEAD], sym, pos, n);
                        pos = current + wlen + chars;
                        if (more > 0)
                            break;
                    }
                }
                if (wlen <= 0)
                    found++;
                wlen += chars;
            } else {
                pos = current + wlen;
            }
        }
        /* Never stop before a combining mark. */
        while (pos < n && has(sym[pos], KB_MARK)) {
            pos++;
            wlen++;
        }
        if (wlen > 0)
            brk[nb++] = current + wlen;
    }
    if (nb > 0 && brk[nb - 1] >= n) /* the run's end is no inner boundary */
        nb--;
    return nb;
}

/* ------------------------------------------------- the public face */

/* Separators: white space, and punctuation that ICU's word rules never
 * join to a letter, nor look across: Word_Break Other (and white space,
 * CR, LF, Newline), or MidNum, which joins digits only.  Not . ' : ’
 * (MidLetter, MidNumLet, Single_Quote: they join letters), _
 * (ExtendNumLet), @ or control characters.  Outside ASCII: punctuation,
 * spaces, math and currency symbols below U+3000 whose Word_Break is one
 * of those (« » “ ” … – ៖ ។ ៕ ...), and U+200B ZERO WIDTH SPACE; worked out
 * from ICU's properties in setup. */
enum { H = PUPA_SEP_HARD, M = PUPA_SEP_MIDNUM };
static const unsigned char ascii_separator[128] = {
    ['\t'] = H, ['\n'] = H, ['\v'] = H, ['\f'] = H, ['\r'] = H, [' '] = H,
    ['!'] = H, ['"'] = H, ['#'] = H, ['$'] = H, ['%'] = H, ['&'] = H, ['('] = H, [')'] = H,
    ['*'] = H, ['+'] = H, [','] = M, ['-'] = H, ['/'] = H, [';'] = M, ['<'] = H, ['='] = H,
    ['>'] = H, ['?'] = H, ['['] = H, ['\\'] = H, [']'] = H, ['^'] = H, ['`'] = H, ['{'] = H,
    ['|'] = H, ['}'] = H, ['~'] = H,
};
enum { SEPARATOR_LIMIT = 0x3000 };
/* The class (PUPA_SEP_*) of every character from U+0080 below the limit,
 * worked out once from ICU's properties in setup: separators are looked up
 * per character of every segment. */
static unsigned char separator_class[SEPARATOR_LIMIT];

static unsigned char separator_by_properties(uint32_t c)
{
    if (c == 0x200B)
        return PUPA_SEP_HARD;
    int wb = u_getIntPropertyValue((UChar32)c, UCHAR_WORD_BREAK);
    uint32_t gc = U_GET_GC_MASK((UChar32)c);
    int sep = (gc & (U_GC_P_MASK | U_GC_Z_MASK | U_GC_SM_MASK | U_GC_SC_MASK)) &&
              (wb == U_WB_OTHER || wb == U_WB_MIDNUM || wb == U_WB_NEWLINE || wb == U_WB_CR ||
               wb == U_WB_LF || wb == U_WB_WSEGSPACE) &&
              u_getIntPropertyValue((UChar32)c, UCHAR_LINE_BREAK) != U_LB_COMPLEX_CONTEXT;
    return !sep ? PUPA_SEP_NONE : wb == U_WB_MIDNUM ? PUPA_SEP_MIDNUM : PUPA_SEP_HARD;
}

size_t pupa_khmer_separator_at(const char *text, size_t len, size_t i, int *cls)
{
    const unsigned char *s = (const unsigned char *)text + i;
    *cls = PUPA_SEP_NONE;
    if (i >= len)
        return 0;
    if (s[0] < 0x80) {
        *cls = ascii_separator[s[0]];
        return *cls != PUPA_SEP_NONE;
    }
    size_t n = pupa_utf8_len(s, len - i);
    if (n < 2 || n > 3)
        return 0;
    uint32_t c = pupa_utf8_decode(s, n);
    *cls = c < SEPARATOR_LIMIT ? separator_class[c] : PUPA_SEP_NONE;
    return *cls != PUPA_SEP_NONE ? n : 0;
}

/* The character at s[0, avail) if a plain segment may hold it: its length
 * (3, or 1 for an ASCII digit), with *cls its class for a character of the
 * dictionary set and 0 for a digit (ASCII 0-9 or Khmer U+17E0-U+17E9, both
 * Word_Break Numeric); 0 if it may not.  One decode. */
static inline size_t run_char_at(const unsigned char *s, size_t avail, int *cls)
{
    int c = pupa_khmer_index(s, avail);
    *cls = 0;
    if (c < 0)
        return s[0] >= '0' && s[0] <= '9';
    if (kb_class[c] & KB_DICT)
        *cls = kb_class[c];
    return *cls || (c >= 0x60 && c <= 0x69) ? 3 : 0; /* U+17E0-U+17E9: digits */
}

size_t pupa_khmer_segment_at(const char *text, size_t len, size_t i, int before, int *plain)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t j = i;
    int starts_numeric = 0, ends_numeric = 0, start_ok = 0;
    *plain = 0;
    while (j < len) {
        int k;
        size_t n = run_char_at(s + j, len - j, &k);
        if (!n)
            break;
        if (j == i) {
            starts_numeric = !k;
            start_ok = !k || (k & KB_START);
        }
        if (!k)
            ends_numeric = 1;
        else if (!(k & KB_MARK))
            ends_numeric = 0;
        j += n;
    }
    if (j == i || !start_ok || (starts_numeric && before == PUPA_SEP_MIDNUM))
        return j;
    int after = PUPA_SEP_HARD;
    if (j < len)
        pupa_khmer_separator_at(text, len, j, &after);
    *plain = after != PUPA_SEP_NONE && !(ends_numeric && after == PUPA_SEP_MIDNUM);
    return j;
}

/* ICU's rules make a plain segment one segment of its own; its dictionary
 * engine breaks each run of dictionary-set characters in it, and the
 * segment's boundaries are its edges and those breaks: the digits stay
 * with the words beside them.  Each run's characters are put into sym
 * (code point minus U+1780) as they are read, and divided there; on the
 * way, each is looked up in `marked`, if given. */
size_t pupa_khmer_break_segment(const char *seg, size_t len, uint8_t *sym, int32_t *brk,
                                const unsigned char *marked, int *all_marked)
{
    const unsigned char *s = (const unsigned char *)seg;
    size_t nb = 0;
    unsigned char all = 1;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        int32_t n = 0;
        int c;
        while (e < len && (c = pupa_khmer_index(s + e, len - e)) >= 0 &&
               (kb_class[c] & KB_DICT)) {
            sym[n++] = (uint8_t)c;
            if (marked)
                all &= marked[c];
            e += 3;
        }
        if (n == 0) { /* a digit: Khmer (looked up), or ASCII (never marked) */
            int k;
            size_t d = run_char_at(s + i, len - i, &k);
            int x = d == 3 ? pupa_khmer_index(s + i, 3) : -1;
            if (marked)
                all &= x >= 0 ? marked[x] : 0;
            i += d ? d : 1;
            continue;
        }
        size_t k = divide_run(sym, n, brk + nb);
        for (size_t x = nb; x < nb + k; x++)
            brk[x] = (int32_t)i + 3 * brk[x];
        nb += k;
        i = e;
    }
    if (all_marked)
        *all_marked = marked && all;
    return nb;
}

/* ----------------------------------------------- setting up, checking */

static int kb_ready;
static pthread_once_t kb_once = PTHREAD_ONCE_INIT;

static int load_dictionary(void)
{
    size_t bytes;
    const uint8_t *trie = pupa_khmer_dict_trie(&bytes);
    if (!trie)
        return 0;
    /* The compiled array is part of the program, not data read at run
     * time (test_khmerda checks it); left unread here, only the pages the
     * walks need are ever brought in. */
    if (pupa_khmer_da_compiled_cells > 0 &&
        pupa_khmer_da_fingerprint(trie, bytes) == pupa_khmer_da_compiled_from) {
        kb_da = pupa_khmer_da_compiled;
        return 1;
    }
    /* Another ICU than the library was built with: lay its own out (about
     * 10 ms), kept for the life of the process. */
    uint32_t *cells;
    size_t ncells;
    if (!pupa_khmer_da_build(trie, bytes, &cells, &ncells))
        return 0;
    kb_da = cells;
    return 1;
}

static void classify(void)
{
    for (uint32_t c = 0x1780; c <= 0x17FF; c++) {
        UErrorCode st = U_ZERO_ERROR;
        int dict = uscript_getScript((UChar32)c, &st) == USCRIPT_KHMER && U_SUCCESS(st) &&
                   u_getIntPropertyValue((UChar32)c, UCHAR_LINE_BREAK) == U_LB_COMPLEX_CONTEXT;
        int wb = u_getIntPropertyValue((UChar32)c, UCHAR_WORD_BREAK);
        unsigned char k = 0;
        if (dict) {
            k |= KB_DICT;
            if (U_GET_GC_MASK((UChar32)c) & U_GC_M_MASK)
                k |= KB_MARK;
            if (c != 0x17D2)
                k |= KB_END;
            if (c <= 0x17B3)
                k |= KB_BEGIN;
            if (wb != U_WB_EXTEND && wb != U_WB_FORMAT && wb != U_WB_ZWJ)
                k |= KB_START;
        }
        kb_class[c - 0x1780] = k;
    }
    for (uint32_t c = 0x80; c < SEPARATOR_LIMIT; c++)
        separator_class[c] = separator_by_properties(c);
}

/* Common words and syllables the self-check builds its text from (written
 * as escapes: U+17xx). */
static const char *const check_words[] = {
    "\u1781\u17D2\u1789\u17BB\u17C6", "\u1794\u17B6\u1793", "\u1791\u17C5",
    "\u1795\u17D2\u1791\u17C7", "\u1780\u17B6\u179A\u1784\u17B6\u179A",
    "\u1782\u17D2\u179A\u17BD\u179F\u17B6\u179A", "\u1794\u17D2\u179A\u17B6\u1780\u17CB",
    "\u1794\u17C6\u178E\u17BB\u179B", "\u179F\u1784\u17D2\u1783\u17B9\u1798",
    "\u1787\u17BF", "\u1791\u17BB\u1780\u1785\u17B7\u178F\u17D2\u178F",
    "\u17AA\u1796\u17BB\u1780", "\u1798\u17D2\u178F\u17B6\u1799", "\u1780\u17BC\u1793",
    "\u179F\u17B6\u179B\u17B6", "\u179A\u17C0\u1793", "\u1792\u17D2\u179C\u17BE",
    "\u1780\u17B6\u179A", "\u1798\u17B6\u1793", "\u1793\u17B7\u1784", "\u178A\u17C2\u179B",
    "\u1793\u17C5", "\u1796\u17C1\u179B", "\u1786\u17D2\u1793\u17B6\u17C6",
    "\u1790\u17D2\u1784\u17C3", "\u179B\u17D2\u17A2", "\u1797\u17D0\u1799",
    "\u1781\u17D2\u179B\u17B6\u1785", "\u1798\u17B7\u1793", "\u17A2\u178F\u17CB",
    "\u1780", "\u1781", "\u1784", "\u179F", "\u17B6", "\u17D2", "\u17C6", "\u17CB",
    "\u17A5", "\u17B7", "\u17D7", "\u17DC", "\u17DD",
};

/* ICU's boundaries inside text[0, len) (a plain run), through bi, as byte
 * offsets. */
static size_t icu_inner_breaks(UBreakIterator *bi, const char *text, size_t len, int32_t *brk)
{
    UErrorCode st = U_ZERO_ERROR;
    UText ut = UTEXT_INITIALIZER;
    utext_openUTF8(&ut, text, (int64_t)len, &st);
    ubrk_setUText(bi, &ut, &st);
    size_t nb = 0;
    if (U_SUCCESS(st))
        for (int32_t b = ubrk_next(bi); b != UBRK_DONE && (size_t)b < len; b = ubrk_next(bi))
            brk[nb++] = b;
    utext_close(&ut);
    return U_SUCCESS(st) ? nb : (size_t)-1;
}

/* Generated plain runs, segmented both ways: 1 if every boundary agrees. */
static int self_check(void)
{
    UErrorCode st = U_ZERO_ERROR;
    UBreakIterator *bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
    if (U_FAILURE(st))
        return 0;
    enum { WORDS = sizeof check_words / sizeof *check_words, RUNS = 400, MAXLEN = 600 };
    char run[MAXLEN + 64];
    uint8_t sym[MAXLEN / 3 + 32];
    int32_t mine[MAXLEN / 3 + 32], icu[MAXLEN / 3 + 32];
    uint32_t rng = 0x9E3779B9u;
    int ok = 1;
    for (int r = 0; r < RUNS && ok; r++) {
        size_t len = 0;
        int nwords = 1 + r % 14;
        for (int k = 0; k < nwords; k++) {
            rng = rng * 1664525u + 1013904223u;
            const char *w = check_words[(rng >> 8) % WORDS];
            size_t wl = strlen(w);
            if (len + wl > MAXLEN)
                break;
            memcpy(run + len, w, wl);
            len += wl;
        }
        /* A plain run starts with a letter: skip leading marks. */
        size_t s = 0;
        int k;
        while (s < len && run_char_at((const unsigned char *)run + s, len - s, &k) &&
               !(k & KB_START))
            s += 3;
        if (len - s < 3)
            continue;
        size_t a = pupa_khmer_break_segment(run + s, len - s, sym, mine, NULL, NULL);
        size_t b = icu_inner_breaks(bi, run + s, len - s, icu);
        ok = a == b && memcmp(mine, icu, a * sizeof *mine) == 0;
    }
    ubrk_close(bi);
    return ok;
}

/* Is the ICU at run time the one the library was built and tested
 * against: the same version, and the dictionary the compiled array was
 * laid out from? */
static int icu_as_built(void)
{
    UVersionInfo running, built;
    u_getVersion(running);
    u_versionFromString(built, U_ICU_VERSION);
    return kb_da == pupa_khmer_da_compiled && memcmp(running, built, sizeof running) == 0;
}

static void setup(void)
{
    classify();
    kb_ready = load_dictionary() && (icu_as_built() || self_check());
}

int pupa_khmer_break_self_check(void)
{
    return pupa_khmer_break_ready() && self_check();
}

int pupa_khmer_break_ready(void)
{
    pthread_once(&kb_once, setup);
    return kb_ready;
}
