/*
 * test_lexicon.c: loading a codebook (lexicon.c).  A nested quanteda-style
 * YAML file: code paths, entry order, lines, kinds and normal forms; every
 * error the loader promises names the file, the line and the entry; the
 * hash follows the content; NULL arguments are refused, not dereferenced.
 * Lexicons are written to a mkdtemp folder, removed at the end.
 */
#include "check.h"
#include "pupa.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"

/* Loads a lexicon that must fail with PUPA_ELEXICON and a message holding
 * every one of the given strings (NULL-terminated). */
static void expect_error(int line, const char *yaml, ...)
{
    const char *path = put("lex.yml", yaml);
    pupa_lexicon *lex = (pupa_lexicon *)1;
    int rc = pupa_lexicon_load(&lex, path);
    if (rc != PUPA_ELEXICON) {
        fprintf(stderr, "%s:%d: expected PUPA_ELEXICON, got %d (%s) for:\n%s\n", __FILE__,
                line, rc, pupa_errmsg(), yaml);
        check_failures++;
    }
    if (rc == 0)
        pupa_lexicon_free(lex);
    else if (lex != NULL) {
        fprintf(stderr, "%s:%d: *out not cleared on failure\n", __FILE__, line);
        check_failures++;
    }
    const char *msg = pupa_errmsg();
    va_list ap;
    va_start(ap, yaml);
    for (const char *want; (want = va_arg(ap, const char *));)
        if (!strstr(msg, want)) {
            fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, line, msg, want);
            check_failures++;
        }
    va_end(ap);
}

/* "lex.yml:" followed by a positive line number and ':' somewhere in msg. */
static int has_file_line(const char *msg)
{
    for (const char *p = msg; (p = strstr(p, "lex.yml:")); p++) {
        const char *d = p + 8;
        if (*d >= '1' && *d <= '9') {
            while (*d >= '0' && *d <= '9')
                d++;
            if (*d == ':')
                return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ loading */

/* ម្ដាยย spelled with coeng-da, as typed in many transcripts. */
#define MOTHER_DA_LIT "\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8A\xE1\x9E\xB6\xE1\x9E\x99"

static const char NESTED[] =
    "# a test codebook\n"                      /* 1 */
    "trust:\n"                                 /* 2 */
    "  - trust\n"                              /* 3 */
    "  - Trusted*\n"                           /* 4 */
    "debt:\n"                                  /* 5 */
    "  lender:\n"                              /* 6 */
    "    - Money  LENDER\n"                    /* 7 */
    "    - \"/loan ?sharks?/\"\n"              /* 8 */
    "  talk:\n"                                /* 9 */
    "    - Don\xE2\x80\x99t\n"                 /* 10: Don’t */
    "family:\n"                                /* 11 */
    "  mother:\n"                              /* 12 */
    "    positive:\n"                          /* 13 */
    "      # coeng-da spelling of mother\n"    /* 14 */
    "      - " MOTHER_DA_LIT "\n" /* 15 */
    "      - \xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8A\xE1\x9E\xB6\xE1\x9E\x99 "
    "\xE1\x9E\x9B\xE1\x9E\xBD\xE1\x9E\x84\xE1\x9E\x9B\xE1\x9F\x84\xE1\x9E\x98\n" /* 16 */
    "  trust:\n"                               /* 17: family/trust, not trust */
    "    - trust*\n"                           /* 18 */
    "violence:\n"                              /* 19 */
    "  - hit\n"                                /* 20 */
    "viol:\n"                                  /* 21 */
    "  - viola\n";                             /* 22 */

/* ម្តាយ with coeng-ta, the folded form. */
#define MOTHER_TA "\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8F\xE1\x9E\xB6\xE1\x9E\x99"

static void test_nested(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", put("nested.yml", NESTED));
    pupa_lexicon *lex = NULL;
    int rc = pupa_lexicon_load(&lex, path);
    CHECK_EQ_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "load failed: %s\n", pupa_errmsg());
        return;
    }
    static const char *codes[] = {"trust", "debt/lender", "debt/talk", "family/mother/positive",
                                  "family/trust", "violence", "viol"};
    size_t ncodes = sizeof codes / sizeof *codes;
    CHECK_EQ_INT(pupa_lexicon_ncodes(lex), ncodes);
    for (size_t i = 0; i < ncodes && i < pupa_lexicon_ncodes(lex); i++)
        CHECK_EQ_STR(pupa_lexicon_code(lex, (uint32_t)i), codes[i]);
    CHECK(pupa_lexicon_code(lex, (uint32_t)ncodes) == NULL);

    static const struct {
        const char *code, *pattern, *norm;
        int kind;
        uint32_t line;
    } want[] = {
        {"trust", "trust", "trust", PUPA_ENTRY_WORD, 3},
        {"trust", "Trusted*", "trusted", PUPA_ENTRY_PREFIX, 4},
        {"debt/lender", "Money  LENDER", "money lender", PUPA_ENTRY_WORD, 7},
        {"debt/lender", "/loan ?sharks?/", "loan ?sharks?", PUPA_ENTRY_REGEX, 8},
        {"debt/talk", "Don\xE2\x80\x99t", "don't", PUPA_ENTRY_WORD, 10},
        {"family/mother/positive", "\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8A\xE1\x9E\xB6\xE1\x9E\x99",
         MOTHER_TA, PUPA_ENTRY_WORD, 15},
        {"family/mother/positive",
         "\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8A\xE1\x9E\xB6\xE1\x9E\x99 "
         "\xE1\x9E\x9B\xE1\x9E\xBD\xE1\x9E\x84\xE1\x9E\x9B\xE1\x9F\x84\xE1\x9E\x98",
         /* Khmer words lose the space between them, and the fold applies */
         MOTHER_TA "\xE1\x9E\x9B\xE1\x9E\xBD\xE1\x9E\x84\xE1\x9E\x9B\xE1\x9F\x84\xE1\x9E\x98",
         PUPA_ENTRY_WORD, 16},
        {"family/trust", "trust*", "trust", PUPA_ENTRY_PREFIX, 18},
        {"violence", "hit", "hit", PUPA_ENTRY_WORD, 20},
        {"viol", "viola", "viola", PUPA_ENTRY_WORD, 22},
    };
    size_t nwant = sizeof want / sizeof *want;
    CHECK_EQ_INT(pupa_lexicon_nentries(lex), nwant);
    for (size_t i = 0; i < nwant && i < pupa_lexicon_nentries(lex); i++) {
        const pupa_entry *e = pupa_lexicon_entry(lex, (uint32_t)i);
        CHECK(e != NULL);
        if (!e)
            continue;
        CHECK_EQ_STR(pupa_lexicon_code(lex, e->code), want[i].code);
        CHECK_EQ_STR(e->pattern, want[i].pattern);
        CHECK_EQ_STR(e->norm, want[i].norm);
        CHECK_EQ_INT(e->kind, want[i].kind);
        CHECK_EQ_INT(e->line, want[i].line);
        CHECK_EQ_STR(e->file, path);
    }
    CHECK(pupa_lexicon_entry(lex, (uint32_t)nwant) == NULL);

    /* The Khmer fold on its own, as the lexicon relies on it. */
    char out[64];
    const char *da = "\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8A\xE1\x9E\xB6\xE1\x9E\x99";
    size_t n = pupa_khmer_fold(da, strlen(da), out);
    CHECK_EQ_INT(n, strlen(MOTHER_TA));
    CHECK(n == strlen(MOTHER_TA) && memcmp(out, MOTHER_TA, n) == 0);

    /* A matcher over it: the entries really match their folded forms. */
    pupa_matcher *m = NULL;
    CHECK_EQ_INT(pupa_matcher_new(&m, lex), 0);
    if (m) {
        const char *text = "My money lender, a loan shark. I don't trust. ";
        const pupa_hit *hits = NULL;
        size_t nh = 0;
        CHECK_EQ_INT(pupa_match(m, text, strlen(text), &hits, &nh, NULL), 0);
        int lender = 0, shark = 0, dont = 0, trust = 0;
        for (size_t i = 0; i < nh; i++) {
            const char *c = pupa_lexicon_code(lex, hits[i].code);
            size_t len = hits[i].end - hits[i].start;
            const char *s = text + hits[i].start;
            if (c && !strcmp(c, "debt/lender") && len == 12 && !memcmp(s, "money lender", 12))
                lender++;
            if (c && !strcmp(c, "debt/lender") && len == 10 && !memcmp(s, "loan shark", 10))
                shark++;
            if (c && !strcmp(c, "debt/talk") && len == 5 && !memcmp(s, "don't", 5))
                dont++;
            if (c && !strcmp(c, "trust") && len == 5 && !memcmp(s, "trust", 5))
                trust++;
        }
        CHECK_EQ_INT(lender, 1);
        CHECK_EQ_INT(shark, 1);
        CHECK_EQ_INT(dont, 1);
        CHECK_EQ_INT(trust, 1);
        pupa_matcher_free(m);
    }
    pupa_lexicon_free(lex);
}

/* quanteda lets a list mix patterns and sub-codes. */
static void test_mixed_list(void)
{
    const char *path = put("mixed.yml", "a:\n"
                                        "  - one\n"
                                        "  - b:\n"
                                        "      - two\n"
                                        "  - three\n");
    pupa_lexicon *lex = NULL;
    CHECK_EQ_INT(pupa_lexicon_load(&lex, path), 0);
    if (!lex)
        return;
    CHECK_EQ_INT(pupa_lexicon_nentries(lex), 3);
    if (pupa_lexicon_nentries(lex) == 3) {
        const pupa_entry *e0 = pupa_lexicon_entry(lex, 0), *e1 = pupa_lexicon_entry(lex, 1),
                         *e2 = pupa_lexicon_entry(lex, 2);
        CHECK_EQ_STR(pupa_lexicon_code(lex, e0->code), "a");
        CHECK_EQ_STR(pupa_lexicon_code(lex, e1->code), "a/b");
        CHECK_EQ_STR(pupa_lexicon_code(lex, e2->code), "a");
        CHECK_EQ_STR(e1->pattern, "two");
        CHECK_EQ_INT(e0->line, 2);
        CHECK_EQ_INT(e1->line, 4);
        CHECK_EQ_INT(e2->line, 5);
    }
    pupa_lexicon_free(lex);
}

/* ------------------------------------------------------------- errors */

static void test_errors(void)
{
    /* an invalid regex, named with its line and text */
    expect_error(__LINE__,
                 "trust:\n"
                 "  - trust\n"
                 "  - \"/(unclosed/\"\n",
                 "lex.yml:3:", "/(unclosed/", NULL);
    /* the same unquoted */
    expect_error(__LINE__,
                 "a:\n"
                 "  b:\n"
                 "    - ok\n"
                 "    - /(unclosed/\n",
                 "lex.yml:4:", "/(unclosed/", NULL);
    /* '*' in the middle */
    expect_error(__LINE__,
                 "trust:\n"
                 "  - trust\n"
                 "  - tr*st\n",
                 "lex.yml:3:", "tr*st", NULL);
    /* only punctuation */
    expect_error(__LINE__,
                 "x:\n"
                 "  - fine\n"
                 "  - fine too\n"
                 "  - \"!!!\"\n",
                 "lex.yml:4:", "!!!", NULL);
    /* an empty entry, quoted and bare */
    expect_error(__LINE__,
                 "x:\n"
                 "  - fine\n"
                 "  - \"  \"\n",
                 "lex.yml:3:", "x", NULL);
    expect_error(__LINE__,
                 "x:\n"
                 "  y:\n"
                 "    - fine\n"
                 "    -\n"
                 "    - more\n",
                 "lex.yml:4:", NULL);
    /* YAML syntax errors carry a line */
    {
        const char *bad[] = {"a:\n  - x\n  - [y\n", "a:\n  - x\n b: 1\n  c: 2\n",
                             "a: \"unterminated\n", "a:\n\t- tab\n"};
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            const char *path = put("lex.yml", bad[i]);
            pupa_lexicon *lex = NULL;
            int rc = pupa_lexicon_load(&lex, path);
            CHECK_EQ_INT(rc, PUPA_ELEXICON);
            CHECK(lex == NULL);
            if (!has_file_line(pupa_errmsg())) {
                fprintf(stderr, "%s:%d: YAML error without a line: \"%s\"\n", __FILE__, __LINE__,
                        pupa_errmsg());
                check_failures++;
            }
            pupa_lexicon_free(lex);
        }
    }
    /* a root that is a list, or a bare scalar */
    expect_error(__LINE__, "- trust\n- hope\n", "lex.yml:1:", "mapping", NULL);
    expect_error(__LINE__, "trust\n", "lex.yml:1:", NULL);
    /* a code name with '/' */
    expect_error(__LINE__,
                 "good:\n"
                 "  - fine\n"
                 "bad/name:\n"
                 "  - x\n",
                 "lex.yml:3:", "bad/name", NULL);
    expect_error(__LINE__,
                 "good:\n"
                 "  inner/x:\n"
                 "    - x\n",
                 "lex.yml:2:", "inner/x", NULL);
    /* regexes that match empty text are refused */
    expect_error(__LINE__,
                 "a:\n"
                 "  - ok\n"
                 "  - /a*/\n",
                 "lex.yml:3:", "/a*/", NULL);
    expect_error(__LINE__, "a:\n  - \"/(x|)/\"\n", "lex.yml:2:", NULL);
    expect_error(__LINE__, "a:\n  - \"/^/\"\n", "lex.yml:2:", NULL);
    /* invalid UTF-8 inside an entry (libyaml refuses it first, or we do) */
    {
        const char *path = put("lex.yml", "a:\n  - caf\xC3\n");
        pupa_lexicon *lex = NULL;
        CHECK(pupa_lexicon_load(&lex, path) < 0);
        CHECK(lex == NULL);
        CHECK(has_file_line(pupa_errmsg()));
    }
    /* a missing file */
    {
        char path[1024];
        snprintf(path, sizeof path, "%s/no-such.yml", tmpdir);
        pupa_lexicon *lex = NULL;
        CHECK_EQ_INT(pupa_lexicon_load(&lex, path), PUPA_ENOTFOUND);
        CHECK(lex == NULL);
        CHECK(strstr(pupa_errmsg(), "no-such.yml") != NULL);
    }
    /* an empty file: no codes is an error, not an empty lexicon crash */
    {
        const char *path = put("lex.yml", "");
        pupa_lexicon *lex = NULL;
        int rc = pupa_lexicon_load(&lex, path);
        CHECK(rc < 0 || lex != NULL);
        pupa_lexicon_free(lex);
    }
    /* a good lexicon still loads after all those failures */
    {
        const char *path = put("lex.yml", "a:\n  - fine\n");
        pupa_lexicon *lex = NULL;
        CHECK_EQ_INT(pupa_lexicon_load(&lex, path), 0);
        pupa_lexicon_free(lex);
    }
}

/* --------------------------------------------------------------- hash */

static uint64_t hash_of(const char *name, const char *yaml, int *ok)
{
    const char *path = put(name, yaml);
    pupa_lexicon *lex = NULL;
    int rc = pupa_lexicon_load(&lex, path);
    if (rc) {
        fprintf(stderr, "%s: %s\n", name, pupa_errmsg());
        *ok = 0;
        return 0;
    }
    uint64_t h = pupa_lexicon_hash(lex);
    pupa_lexicon_free(lex);
    return h;
}

static void test_hash(void)
{
    int ok = 1;
    uint64_t a = hash_of("h1.yml", NESTED, &ok);
    uint64_t b = hash_of("h2.yml", NESTED, &ok); /* same content, another file */
    CHECK(ok);
    CHECK(a == b);
    CHECK(a != 0);
    const char *base = "x:\n  - alpha\n  - beta\ny:\n  - gamma\n";
    uint64_t h0 = hash_of("h3.yml", base, &ok);
    uint64_t h0b = hash_of("h3.yml", base, &ok); /* reloading gives the same hash */
    uint64_t h1 = hash_of("h4.yml", "x:\n  - alpha\n  - betb\ny:\n  - gamma\n", &ok);
    uint64_t h2 = hash_of("h5.yml", "x:\n  - alpha\n  - beta*\ny:\n  - gamma\n", &ok);
    uint64_t h3 = hash_of("h6.yml", "x:\n  - alpha\n  - beta\nz:\n  - gamma\n", &ok);
    uint64_t h4 = hash_of("h7.yml", "x:\n  - alpha\n  - beta\ny:\n  - gamma\n  - delta\n", &ok);
    uint64_t h5 = hash_of("h8.yml", "x:\n  - alpha\ny:\n  - beta\n  - gamma\n", &ok);
    CHECK(ok);
    CHECK(h0 == h0b);
    CHECK(h0 != h1); /* an entry's text changed */
    CHECK(h0 != h2); /* an entry's kind changed */
    CHECK(h0 != h3); /* a code renamed */
    CHECK(h0 != h4); /* an entry added */
    CHECK(h0 != h5); /* an entry moved to another code */
    CHECK(a != h0);
}

/* ------------------------------------------------------------- NULLs */

static void test_null(void)
{
    const char *path = put("n.yml", "a:\n  - fine\n");
    pupa_lexicon *lex = NULL;
    CHECK_EQ_INT(pupa_lexicon_load(NULL, path), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_lexicon_load(&lex, NULL), PUPA_EINVAL);
    CHECK(lex == NULL);
    CHECK_EQ_INT(pupa_lexicon_load(NULL, NULL), PUPA_EINVAL);
    CHECK(pupa_errmsg()[0] != '\0');
    pupa_lexicon_free(NULL); /* a no-op */
    pupa_matcher *m = NULL;
    CHECK_EQ_INT(pupa_matcher_new(&m, NULL), PUPA_EINVAL);
    CHECK(m == NULL);
    CHECK_EQ_INT(pupa_lexicon_load(&lex, path), 0);
    if (lex) {
        CHECK_EQ_INT(pupa_matcher_new(NULL, lex), PUPA_EINVAL);
        pupa_lexicon_free(lex);
    }
    pupa_matcher_free(NULL);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tmp_setup("lexicon");
    test_nested();
    test_mixed_list();
    test_errors();
    test_hash();
    test_null();
    tmp_cleanup();
    return check_result();
}
