/*
 * test_scanform.c: the scan form (scanform.c) finds what UTF-8 finds.
 *
 * Hyperscan scans the token stream in the scan form, Khmer one byte a
 * letter; the hits must be those a scan of the UTF-8 stream gives.
 *  - Generated strings over Khmer, ASCII, control characters, two-, three-
 *    and four-byte characters and stray bytes: every place one string's
 *    scan form occurs in another's is a place where its characters occur
 *    in the other's, at a character boundary, and the other way round.
 *  - Real text, line by line (the sample corpus; and, when present, every
 *    shared corpus): Hyperscan over the UTF-8 norm with a database of the
 *    literal norms, and over the scan form with the lexicon's own database,
 *    report the same (entry, end) pairs, ends mapped back to the norm.
 *    Two lexicons: the default codebook, and one made of the text's own
 *    words and pairs of words (so most lines have matches), with accented,
 *    Greek, Chinese and mixed Khmer-Latin entries.
 *  - A codebook with /regex/ entries, whose database reads UTF-8 beside the
 *    scan-form one: the hits of both, by hand, in both matching modes.
 */
#include "check.h"
#include "scan.h"
#include "tmpdir.h"

#include <sys/stat.h>

/* ------------------------------------------------------------ generated */

static uint32_t rng = 0x2545F491u;
static uint32_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* One unit of generated text: a character's UTF-8, or a stray byte. */
static size_t random_unit(unsigned char *out, int valid_only)
{
    static const uint32_t others[] = {0xE9, 0xDF, 0x3B1, 0x201C, 0x4E2D, 0x1F600, 0x200B, 0x17B4};
    uint32_t r = next_random() % (valid_only ? 10 : 11);
    uint32_t cp;
    if (r < 4)
        cp = 0x1780 + next_random() % 0x80; /* the Khmer block, assigned or not */
    else if (r < 7)
        cp = "ab ka\nq-'019:?"[next_random() % 15];
    else if (r == 7)
        cp = next_random() % 3 == 0 ? 0x7F : 1 + next_random() % 0x1F; /* controls */
    else if (r < 10)
        cp = others[next_random() % (sizeof others / sizeof *others)];
    else { /* a byte that is not UTF-8 */
        out[0] = (unsigned char)(next_random() % 2 ? 0xFF : 0x80 + next_random() % 0x40);
        return 1;
    }
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

enum { MAX_UNITS = 40 };
typedef struct units {
    unsigned char bytes[MAX_UNITS * 4];
    size_t start[MAX_UNITS + 1]; /* unit k is bytes[start[k], start[k + 1]) */
    size_t n;
} units;

static void random_units(units *u, size_t n, int valid_only)
{
    u->n = n;
    u->start[0] = 0;
    for (size_t k = 0; k < n; k++)
        u->start[k + 1] = u->start[k] + random_unit(u->bytes + u->start[k], valid_only);
}

static int unit_eq(const units *a, size_t i, const units *b, size_t j)
{
    size_t la = a->start[i + 1] - a->start[i], lb = b->start[j + 1] - b->start[j];
    return la == lb && memcmp(a->bytes + a->start[i], b->bytes + b->start[j], la) == 0;
}

static void test_generated(void)
{
    long pairs = 0, found = 0;
    for (int k = 0; k < 200000; k++) {
        units needle, hay;
        random_units(&needle, 1 + next_random() % 3, 1); /* an entry is valid UTF-8 */
        random_units(&hay, 1 + next_random() % MAX_UNITS, 0);
        unsigned char ns[MAX_UNITS * 28], hs[MAX_UNITS * 28];
        size_t nl = pupa_scan_form((const char *)needle.bytes, needle.start[needle.n], (char *)ns);
        size_t hl = pupa_scan_form((const char *)hay.bytes, hay.start[hay.n], (char *)hs);
        CHECK(hl <= PUPA_SCAN_FORM_MAX(hay.start[hay.n]));
        CHECK(memchr(hs, 0, hl) == NULL);
        /* Its own scan form exactly when the test says so. */
        size_t raw = hay.start[hay.n];
        CHECK_EQ_INT(pupa_scan_form_is_identity((const char *)hay.bytes, raw),
                     hl == raw && memcmp(hs, hay.bytes, raw) == 0);
        /* Where the scan form of each unit of hay starts. */
        size_t at[MAX_UNITS + 1];
        for (size_t u = 0, o = 0; u <= hay.n; u++) {
            at[u] = o;
            if (u < hay.n)
                o += pupa_scan_form((const char *)hay.bytes + hay.start[u],
                                    hay.start[u + 1] - hay.start[u], (char *)ns + nl);
        }
        CHECK_EQ_INT(at[hay.n], hl);
        /* Every byte offset where the scan form occurs must be a unit
         * boundary where the units occur, and every such place must be
         * found. */
        size_t expect = 0, got = 0;
        for (size_t u = 0; u + needle.n <= hay.n; u++) {
            size_t m = 0;
            while (m < needle.n && unit_eq(&needle, m, &hay, u + m))
                m++;
            if (m == needle.n) {
                expect++;
                CHECK(at[u] + nl <= hl && memcmp(hs + at[u], ns, nl) == 0);
            }
        }
        for (size_t o = 0; o + nl <= hl; o++) {
            if (memcmp(hs + o, ns, nl) != 0)
                continue;
            got++;
            size_t u = 0;
            while (u < hay.n && at[u] < o)
                u++;
            if (at[u] != o || u + needle.n > hay.n) {
                fprintf(stderr, "generated case %d: a match inside a unit\n", k);
                check_failures++;
                continue;
            }
            for (size_t m = 0; m < needle.n; m++)
                CHECK(unit_eq(&needle, m, &hay, u + m));
        }
        CHECK_EQ_INT(got, expect);
        pairs++;
        found += (long)got;
    }
    printf("generated: %ld pairs, %ld occurrences\n", pairs, found);
    CHECK(found > 10000);
}

/* A token whose norm ends inside a character (no tokenizer makes one):
 * its bytes are escaped one by one, and every bound is still noted. */
static void test_cut_character(void)
{
    static const char norm[] = "ab\xE1\x9E\x80" "cd";
    pupa_token tok[2] = {{.norm_start = 0, .norm_end = 4}, {.norm_start = 4, .norm_end = 7}};
    pupa_tokens ts = {norm, 7, tok, 2};
    pupa_buf out;
    pupa_buf_init(&out, SIZE_MAX / 2);
    uint32_t *bounds = NULL;
    size_t cap = 0;
    CHECK_EQ_INT(pupa_scan_tokens(&ts, &out, &bounds, &cap), 0);
    if (bounds) {
        CHECK_EQ_INT(bounds[0], 0);
        CHECK_EQ_INT(bounds[1], 2 + 7 + 7); /* a b, then E1 and 9E escaped */
        CHECK_EQ_INT(bounds[2], bounds[1]);
        CHECK_EQ_INT(bounds[3], bounds[2] + 7 + 2);
        CHECK_EQ_INT(out.len, bounds[3]);
    }
    pupa_buf_free(&out);
    free(bounds);
}

/* ---------------------------------------------------------- real text */

typedef struct match {
    uint32_t entry;
    uint64_t end;
} match;

typedef struct matches {
    match *m;
    size_t n, cap;
} matches;

static int collect(unsigned int id, unsigned long long from, unsigned long long to,
                   unsigned int flags, void *ctx)
{
    (void)from, (void)flags;
    matches *ms = ctx;
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? 2 * ms->cap : 256;
        ms->m = realloc(ms->m, ms->cap * sizeof *ms->m);
        if (!ms->m)
            return 1;
    }
    ms->m[ms->n++] = (match){id, to};
    return 0;
}

static int by_entry_end(const void *a, const void *b)
{
    const match *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (x->entry > y->entry) - (x->entry < y->entry);
}

typedef struct lexicon_case {
    pupa_lexicon *lex;
    hs_database_t *utf8; /* the literal norms as they are */
    hs_scratch_t *scratch;
    long lines, matches, khmer_matches;
} lexicon_case;

static void lexicon_case_open(lexicon_case *c, const char *path)
{
    memset(c, 0, sizeof *c);
    CHECK_EQ_INT(pupa_lexicon_load(&c->lex, path), 0);
    if (!c->lex)
        return;
    size_t ne = pupa_lexicon_nentries(c->lex), n = 0;
    char **exprs = calloc(ne + 1, sizeof *exprs);
    unsigned *flags = calloc(ne + 1, sizeof *flags), *ids = calloc(ne + 1, sizeof *ids);
    for (size_t i = 0; exprs && flags && ids && i < ne; i++) {
        const pupa_entry *e = pupa_lexicon_entry(c->lex, (uint32_t)i);
        if (e->kind != PUPA_ENTRY_WORD && e->kind != PUPA_ENTRY_PREFIX)
            continue;
        exprs[n] = pupa_literal_expression(e->norm);
        ids[n++] = (unsigned)i;
    }
    hs_compile_error_t *err = NULL;
    CHECK(n > 0);
    CHECK(hs_compile_multi((const char *const *)exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK,
                           NULL, &c->utf8, &err) == HS_SUCCESS);
    hs_free_compile_error(err);
    CHECK(pupa_lexicon_db(c->lex) != NULL);
    CHECK(c->utf8 && hs_alloc_scratch(c->utf8, &c->scratch) == HS_SUCCESS);
    CHECK(hs_alloc_scratch(pupa_lexicon_db(c->lex), &c->scratch) == HS_SUCCESS);
    for (size_t i = 0; i < n; i++)
        free(exprs[i]);
    free(exprs);
    free(flags);
    free(ids);
}

static void lexicon_case_close(lexicon_case *c)
{
    hs_free_scratch(c->scratch);
    hs_free_database(c->utf8);
    pupa_lexicon_free(c->lex);
}

static pupa_tokenizer *tok;
static pupa_buf scan;
static uint32_t *bounds;
static size_t bounds_cap;
static size_t *scan_to_norm;
static size_t scan_to_norm_cap;

/* One text: both scans, compared. */
static void compare_text(lexicon_case *c, const char *text, size_t len, const char *where)
{
    pupa_tokens ts;
    if (!c->scratch || pupa_tokenize(tok, text, len, &ts) != 0 || ts.norm_len == 0)
        return;
    CHECK_EQ_INT(pupa_scan_tokens(&ts, &scan, &bounds, &bounds_cap), 0);
    /* The norm offset of each scan-form unit boundary. */
    if (scan.len + 1 > scan_to_norm_cap) {
        scan_to_norm_cap = 2 * (scan.len + 1);
        scan_to_norm = realloc(scan_to_norm, scan_to_norm_cap * sizeof *scan_to_norm);
    }
    char unit[8];
    for (size_t i = 0, o = 0; i <= ts.norm_len;) {
        scan_to_norm[o] = i;
        if (i == ts.norm_len)
            break;
        size_t n = pupa_utf8_len((const unsigned char *)ts.norm + i, ts.norm_len - i);
        n = n ? n : 1;
        o += pupa_scan_form(ts.norm + i, n, unit);
        i += n;
    }
    for (size_t k = 0; k < ts.ntok; k++) {
        CHECK_EQ_INT(scan_to_norm[bounds[2 * k]], ts.tok[k].norm_start);
        CHECK_EQ_INT(scan_to_norm[bounds[2 * k + 1]], ts.tok[k].norm_end);
    }
    matches a = {0}, b = {0};
    CHECK(hs_scan(c->utf8, ts.norm, (unsigned)ts.norm_len, 0, c->scratch, collect, &a) ==
          HS_SUCCESS);
    CHECK(hs_scan(pupa_lexicon_db(c->lex), scan.data, (unsigned)scan.len, 0, c->scratch,
                  collect, &b) == HS_SUCCESS);
    for (size_t i = 0; i < b.n; i++)
        b.m[i].end = scan_to_norm[b.m[i].end];
    if (a.n > 1) /* qsort takes no NULL array, even empty */
        qsort(a.m, a.n, sizeof *a.m, by_entry_end);
    if (b.n > 1)
        qsort(b.m, b.n, sizeof *b.m, by_entry_end);
    int same = a.n == b.n;
    for (size_t i = 0; same && i < a.n; i++)
        same = a.m[i].entry == b.m[i].entry && a.m[i].end == b.m[i].end;
    if (!same) {
        fprintf(stderr, "%s: %zu matches in UTF-8, %zu in the scan form\n", where, a.n, b.n);
        check_failures++;
    }
    c->lines++;
    c->matches += (long)a.n;
    for (size_t i = 0; i < a.n; i++)
        c->khmer_matches += (unsigned char)ts.norm[a.m[i].end - 1] >= 0x80;
    free(a.m);
    free(b.m);
}

static void compare_lines(lexicon_case *cases, size_t ncases, const char *dir, const char *rel)
{
    size_t len;
    char *text = slurp_corpus(dir, rel, &len);
    if (!text)
        return;
    char where[4200];
    long line = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        snprintf(where, sizeof where, "%s/%s:%ld", dir, rel, ++line);
        for (size_t c = 0; c < ncases; c++)
            compare_text(&cases[c], text + i, e - i, where);
        i = e + 1;
    }
    free(text);
}

/* Every file below dir, as pupa index lists them. */
static void compare_tree(lexicon_case *cases, size_t ncases, const char *dir)
{
    char **paths = NULL;
    size_t n = 0;
    CHECK_EQ_INT(pupa_corpus_list(dir, &paths, &n), 0);
    for (size_t i = 0; i < n; i++)
        compare_lines(cases, ncases, dir, paths[i]);
    pupa_paths_free(paths, n);
}

/* A lexicon of the sample corpus's own words and pairs of words, and
 * entries in scripts the corpus has little of. */
static void write_word_lexicon(const char *sample, const char *path)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("words:\n"
          "  - \"café\"\n  - \"naïve\"\n  - \"straße\"\n  - \"αγάπη\"\n  - \"中文\"\n"
          "  - \"ខ្មែរ abc\"\n  - \"abc ខ្មែរ\"\n  - \"x2ក\"\n  - \"ជំ*\"\n  - \"tru*\"\n",
          f);
    char **paths = NULL;
    size_t n = 0, written = 0;
    CHECK_EQ_INT(pupa_corpus_list(sample, &paths, &n), 0);
    for (size_t i = 0; i < n && written < 3000; i++) {
        size_t len;
        char *text = slurp_corpus(sample, paths[i], &len);
        pupa_tokens ts;
        if (!text || pupa_tokenize(tok, text, len, &ts) != 0) {
            free(text);
            continue;
        }
        for (size_t k = 0; k + 1 < ts.ntok && written < 3000; k += 1 + next_random() % 16) {
            size_t end = ts.tok[k + (next_random() % 2)].src_end;
            fputs("  - \"", f);
            for (size_t b = ts.tok[k].src_start; b < end; b++) {
                unsigned char ch = (unsigned char)text[b];
                if (ch == '"' || ch == '\\')
                    fputc('\\', f);
                if (ch == '\n' || ch == '\r' || ch == '\t')
                    ch = ' ';
                fputc(ch, f);
            }
            fputs("\"\n", f);
            written++;
        }
        free(text);
    }
    pupa_paths_free(paths, n);
    fclose(f);
    printf("word lexicon: %zu entries\n", written);
    CHECK(written > 500);
}

/* ------------------------------------------------- regex beside literals */

static void test_regex_codebook(void)
{
    static const char yaml[] =
        "money:\n  - \"/lend(er|ing)/\"\n  - \"money  lender\"\n"
        "debt:\n  - \"debt*\"\n"
        "trust:\n  - \"/tr[uü]st/\"\n"
        "  - \"\u1791\u17BB\u1780\u1785\u17B7\u178F\u17D2\u178F\"\n"; /* ទុកចិត្ត */
    const char *path = put_bytes("regex.yml", yaml, sizeof yaml - 1);
    pupa_lexicon *lex = NULL;
    CHECK_EQ_INT(pupa_lexicon_load(&lex, path), 0);
    if (!lex)
        return;
    CHECK(pupa_lexicon_db(lex) != NULL && pupa_lexicon_regex_db(lex) != NULL);
    /* The money lender's "lender" is one of money's hits, inside the
     * longer one: the overlap policy keeps "money lender". */
    static const char text[] = "He is lending; the money lender wants debts. I trüst "
                               "\u1781\u17D2\u1789\u17BB\u17C6\u1798\u17B7\u1793"
                               "\u1791\u17BB\u1780\u1785\u17B7\u178F\u17D2\u178F"
                               "\u1782\u17B6\u178F\u17CB"; /* ខ្ញុំមិនទុកចិត្តគាត់ */
    static const struct {
        const char *code, *words;
        int negated;
    } want[] = {
        {"money", "lending", 0},
        {"money", "money lender", 0},
        {"debt", "debts", 0},
        {"trust", "trüst", 0},
        {"trust", "\u1791\u17BB\u1780\u1785\u17B7\u178F\u17D2\u178F", 1},
    };
    for (int mode = PUPA_MATCH_TOKENISE_ALL; mode <= PUPA_MATCH_FAST; mode++) {
        pupa_matcher *m = NULL;
        CHECK_EQ_INT(pupa_matcher_new(&m, lex), 0);
        if (!m)
            break;
        CHECK_EQ_INT(pupa_matcher_set_mode(m, mode), 0);
        const pupa_hit *hits = NULL;
        size_t n = 0;
        CHECK_EQ_INT(pupa_match(m, text, strlen(text), &hits, &n, NULL), 0);
        CHECK_EQ_INT(n, sizeof want / sizeof *want);
        for (size_t i = 0; i < n && i < sizeof want / sizeof *want; i++) {
            size_t wl = strlen(want[i].words);
            CHECK_EQ_STR(pupa_lexicon_code(lex, hits[i].code), want[i].code);
            CHECK(hits[i].end - hits[i].start == wl &&
                  memcmp(text + hits[i].start, want[i].words, wl) == 0);
            CHECK_EQ_INT(hits[i].negated != 0, want[i].negated);
        }
        pupa_matcher_free(m);
    }
    pupa_lexicon_free(lex);
}

int main(int argc, char **argv)
{
    test_generated();
    test_cut_character();
    CHECK_EQ_INT(pupa_tokenizer_new(&tok), 0);
    pupa_buf_init(&scan, SIZE_MAX / 2);
    const char *root = argc > 2 ? argv[2] : ".";
    char sample[4096], codebook[4096], words[4300];
    snprintf(sample, sizeof sample, "%s/corpora-sample", root);
    snprintf(codebook, sizeof codebook, "%s/lexicons/butterfly.yml", root);
    tmp_setup("scanform");
    snprintf(words, sizeof words, "%s/words.yml", tmpdir);
    write_word_lexicon(sample, words);
    test_regex_codebook();

    lexicon_case cases[2];
    lexicon_case_open(&cases[0], codebook);
    lexicon_case_open(&cases[1], words);
    compare_tree(cases, 2, sample);
    printf("sample corpus: %ld lines; codebook %ld matches (%ld Khmer), its words %ld (%ld)\n",
           cases[0].lines, cases[0].matches, cases[0].khmer_matches, cases[1].matches,
           cases[1].khmer_matches);
    CHECK(cases[0].matches > 100 && cases[0].khmer_matches > 10);
    CHECK(cases[1].matches > 1000 && cases[1].khmer_matches > 100);

    const char *dir = argc > 1 ? argv[1] : NULL;
    struct stat sb;
    int shared = dir && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (shared) {
        long before = cases[1].matches;
        compare_tree(cases, 2, dir);
        printf("shared corpora: %ld lines; codebook %ld matches (%ld Khmer), words %ld (%ld)\n",
               cases[0].lines, cases[0].matches, cases[0].khmer_matches, cases[1].matches,
               cases[1].khmer_matches);
        CHECK(cases[1].matches - before > 10000);
    }
    lexicon_case_close(&cases[0]);
    lexicon_case_close(&cases[1]);
    pupa_tokenizer_free(tok);
    pupa_buf_free(&scan);
    free(bounds);
    free(scan_to_norm);
    tmp_cleanup();
    if (!shared && !check_failures)
        require_corpora(dir);
    return check_result();
}
