/*
 * test_rules.c: the rule layer of a codebook (rules.c, and its YAML keys in
 * lexicon.c): AND, AND NOT, OR, NEAR/n, BEFORE/n and their NOT forms, with
 * distances at their edges and sentence ends; exclusions; negation in
 * English and Khmer with the codebook's cues, not-cues and window; polar
 * codes (.negated_as); hidden codes; rules that read rules; every error a
 * broken rule gives, with its file and line; and the same hits from the
 * fast path as from full tokenising.
 */
#include "check.h"
#include "pupa.h"
#include "tmpdir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pupa_lexicon *load(const char *yaml)
{
    const char *lexpath = put("lex.yml", yaml);
    pupa_lexicon *lex = NULL;
    if (pupa_lexicon_load(&lex, lexpath)) {
        fprintf(stderr, "load failed: %s\n", pupa_errmsg());
        check_failures++;
        return NULL;
    }
    return lex;
}

/* The hits of text as "code=term" joined by "; ", a negated one as
 * "code=!term", in pupa_match's order. */
static const char *coded(const pupa_lexicon *lex, int mode, const char *text)
{
    static char out[4096];
    out[0] = '\0';
    pupa_matcher *m = NULL;
    if (!lex || pupa_matcher_new(&m, lex) || pupa_matcher_set_mode(m, mode)) {
        check_failures++;
        pupa_matcher_free(m);
        return "(no matcher)";
    }
    const pupa_hit *h = NULL;
    size_t n = 0;
    if (pupa_match(m, text, strlen(text), &h, &n, NULL)) {
        fprintf(stderr, "match failed: %s\n", pupa_errmsg());
        check_failures++;
    }
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof out - 200; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s=%s%.*s", i ? "; " : "",
                                pupa_lexicon_code(lex, h[i].code), h[i].negated ? "!" : "",
                                (int)(h[i].end - h[i].start), text + h[i].start);
    pupa_matcher_free(m);
    return out;
}

/* Both matcher modes must agree; returns the hits of the reference. */
static const char *code_both(const pupa_lexicon *lex, const char *text)
{
    static char full[4096];
    snprintf(full, sizeof full, "%s", coded(lex, PUPA_MATCH_TOKENISE_ALL, text));
    const char *fast = coded(lex, PUPA_MATCH_FAST_ONLY, text);
    if (strcmp(full, fast) != 0) {
        fprintf(stderr, "fast path differs on \"%s\":\n  full: %s\n  fast: %s\n", text, full,
                fast);
        check_failures++;
    }
    return full;
}

#define EXPECT(lex, text, want) CHECK_EQ_STR(code_both(lex, text), want)

/* ------------------------------------------------------------ operators */

static const char OPS[] =
    ".x: [mother, ម្តាយ]\n"
    ".y: [helps me, ជួយខ្ញុំ]\n"
    ".z: [happy]\n"
    "and:\n"
    "  .rule: .x AND .y\n"
    "andnot:\n"
    "  .rule: .x AND NOT .y\n"
    "or:\n"
    "  - .rule: .y OR .z\n"
    "near2:\n"
    "  .rule: .x NEAR/2 .y\n"
    "near3:\n"
    "  .rule: .x NEAR/3 .y\n"
    "before3:\n"
    "  .rule: .x BEFORE/3 .y\n"
    "notnear:\n"
    "  .rule: .x NOT NEAR/2 .y\n"
    "notbefore:\n"
    "  .rule: .x NOT BEFORE/3 .y\n";

/* Each case states what each code should hold, in any order; a negated
 * hit's term starts with "!". */
typedef struct want {
    const char *code, *term;
} want;

static void expect_codes(const pupa_lexicon *lex, int line, const char *text, const want *w,
                         size_t nw)
{
    const char *got = code_both(lex, text);
    /* Every wanted "code=term" is there, and nothing else. */
    size_t count = 0;
    for (const char *p = got; *p; count++) {
        const char *q = strstr(p, "; ");
        p = q ? q + 2 : p + strlen(p);
    }
    int ok = count == nw;
    for (size_t i = 0; ok && i < nw; i++) {
        char item[512];
        snprintf(item, sizeof item, "%s=%s", w[i].code, w[i].term);
        size_t n = strlen(item);
        const char *p = got;
        int found = 0;
        while ((p = strstr(p, item))) {
            if ((p == got || p[-1] == ' ') && (p[n] == '\0' || p[n] == ';'))
                found = 1;
            p++;
        }
        ok = found;
    }
    if (!ok) {
        fprintf(stderr, "%s:%d: \"%s\" coded as:\n  %s\nwanted:", __FILE__, line, text, got);
        for (size_t i = 0; i < nw; i++)
            fprintf(stderr, " %s=%s;", w[i].code, w[i].term);
        fputc('\n', stderr);
        check_failures++;
    }
}

#define CODES(lex, text, ...)                                                              \
    do {                                                                                   \
        const want w_[] = {__VA_ARGS__};                                                   \
        expect_codes(lex, __LINE__, text, w_, sizeof w_ / sizeof *w_);                     \
    } while (0)
#define NO_CODES(lex, text) expect_codes(lex, __LINE__, text, NULL, 0)

static void test_operator_semantics(void)
{
    pupa_lexicon *lex = load(OPS);
    if (!lex)
        return;
    /* adjacent: distance 1 */
    CODES(lex, "mother helps me", {"and", "mother"}, {"or", "helps me"},
          {"near2", "mother helps me"}, {"near3", "mother helps me"},
          {"before3", "mother helps me"});
    /* two tokens between: distance 3 */
    CODES(lex, "mother often really helps me", {"and", "mother"}, {"or", "helps me"},
          {"near3", "mother often really helps me"},
          {"before3", "mother often really helps me"}, {"notnear", "mother"});
    /* three between: distance 4, too far for all */
    CODES(lex, "mother often really truly helps me", {"and", "mother"}, {"or", "helps me"},
          {"notnear", "mother"}, {"notbefore", "mother"});
    /* reversed: NEAR holds, BEFORE does not */
    CODES(lex, "she helps me, my mother", {"and", "mother"}, {"or", "helps me"},
          {"near2", "helps me, my mother"}, {"near3", "helps me, my mother"},
          {"notbefore", "mother"});
    /* no .y at all */
    CODES(lex, "my mother", {"andnot", "mother"}, {"notnear", "mother"},
          {"notbefore", "mother"});
    CODES(lex, "I am happy", {"or", "happy"});
    /* a negated .y is not "present" for AND, and does not block NOT NEAR */
    CODES(lex, "my mother never helps me", {"andnot", "mother"},
          {"or", "!helps me"}, {"near2", "!mother never helps me"},
          {"near3", "!mother never helps me"}, {"before3", "!mother never helps me"},
          {"notnear", "mother"}, {"notbefore", "mother"});
    /* a sentence end stops proximity, in both scripts */
    CODES(lex, "It is my mother. He helps me.", {"and", "mother"}, {"or", "helps me"},
          {"notnear", "mother"}, {"notbefore", "mother"});
    CODES(lex, "ម្តាយ។ ជួយខ្ញុំ", {"and", "ម្តាយ"}, {"or", "ជួយខ្ញុំ"},
          {"notnear", "ម្តាយ"}, {"notbefore", "ម្តាយ"});
    /* a comma does not */
    CODES(lex, "mother, helps me", {"and", "mother"}, {"or", "helps me"},
          {"near2", "mother, helps me"}, {"near3", "mother, helps me"},
          {"before3", "mother, helps me"});
    /* Khmer with no spaces: tokens, not bytes, make the distance */
    CODES(lex, "ម្តាយខ្ញុំជួយខ្ញុំ", {"and", "ម្តាយ"}, {"or", "ជួយខ្ញុំ"},
          {"near2", "ម្តាយខ្ញុំជួយខ្ញុំ"}, {"near3", "ម្តាយខ្ញុំជួយខ្ញុំ"},
          {"before3", "ម្តាយខ្ញុំជួយខ្ញុំ"});
    NO_CODES(lex, "nothing here");
    pupa_lexicon_free(lex);
}

static void test_precedence(void)
{
    pupa_lexicon *lex = load(".a: [alpha]\n.b: [beta]\n.c: [gamma]\n"
                             "p:\n  .rule: .a AND .b OR .c\n"          /* (a AND b) OR c */
                             "q:\n  .rule: .a AND (.b OR .c)\n"
                             "r:\n  .rule: .a AND NOT .b NEAR/1 .c\n"  /* a AND NOT (b NEAR c) */
                             "s:\n  .rule: \"a\"\n"                     /* a quoted path */
                             "a:\n  - al\n");
    if (!lex)
        return;
    CODES(lex, "alpha gamma", {"p", "gamma"}, {"q", "alpha"}, {"r", "alpha"});
    CODES(lex, "alpha beta", {"p", "alpha"}, {"q", "alpha"}, {"r", "alpha"});
    CODES(lex, "alpha beta gamma", {"p", "alpha"}, {"p", "gamma"}, {"q", "alpha"});
    CODES(lex, "al", {"a", "al"}, {"s", "al"});
    pupa_lexicon_free(lex);
}

/* ------------------------------------------------------------ codebook */

static const char BOOK[] =
    ".negation:\n"
    "  window: 3\n"
    "  cues: [hardly, ឥត]\n"
    "  not_cues: [អត់ធ្មត់, not only]\n"
    "  stops: [unless, but, ប៉ុន្តែ]\n"
    ".who:\n"
    "  mother: [mother, ម្តាយ]\n"
    "  husband: [husband, ប្តី]\n"
    ".good: [comforts me, helps me, ជួយខ្ញុំ]\n"
    ".bad: [hits me, beats me, វាយខ្ញុំ]\n"
    "trust:\n"
    "  - trust\n"
    "  - .exclude: [trust fund, in god we trust]\n"
    "relationships:\n"
    "  mother:\n"
    "    positive:\n"
    "      .rule: .who/mother NEAR/4 .good\n"
    "      .negated_as: negative\n"
    "    negative:\n"
    "      .rule: .who/mother NEAR/4 .bad\n"
    "  spouse:\n"
    "    positive:\n"
    "      - husband helps\n"
    "      - .rule: .who/husband NEAR/4 .good\n"
    "      - .negated_as: relationships/spouse/negative\n"
    "    negative:\n"
    "      - .rule: .who/husband NEAR/4 .bad\n"
    "violence:\n"
    "  .exclude: [beats me at chess]\n"
    "  physical:\n"
    "    - .rule: .bad\n"
    "  domestic:\n"
    "    - .rule: violence/physical AND .who\n"
    "resilience:\n"
    "  - ខិតខំ\n"
    "  - patient\n"
    "wellbeing:\n"
    "  positive:\n"
    "    - happy\n"
    "    - សប្បាយចិត្ត\n"
    "    - .negated_as: negative\n"
    "  negative:\n"
    "    - sad\n";

static void test_exclusions(void)
{
    pupa_lexicon *lex = load(BOOK);
    if (!lex)
        return;
    CODES(lex, "I trust her", {"trust", "trust"});
    NO_CODES(lex, "the trust fund pays");
    NO_CODES(lex, "In God we trust.");
    CODES(lex, "I trust her, not the trust fund", {"trust", "trust"});
    /* an exclusion on a parent holds for its children and their rules */
    CODES(lex, "he hits me", {"violence/physical", "hits me"});
    NO_CODES(lex, "he beats me at chess");
    pupa_lexicon_free(lex);
    /* a rule reading a code reads neither its excluded hits nor the
     * exclusion list itself, though that list sits below the code */
    lex = load(".f:\n  - friends\n  - .exclude: [friends who worked with me]\n"
               "rel:\n  - .rule: .f\n");
    if (!lex)
        return;
    NO_CODES(lex, "my friends who worked with me");
    CODES(lex, "my friends", {"rel", "friends"});
    pupa_lexicon_free(lex);
}

static void test_negation(void)
{
    pupa_lexicon *lex = load(BOOK);
    if (!lex)
        return;
    /* English: built-in cues, the codebook's cue, the window, punctuation */
    CODES(lex, "I am not happy", {"wellbeing/positive", "!happy"},
          {"wellbeing/negative", "happy"});
    CODES(lex, "I am hardly happy", {"wellbeing/positive", "!happy"},
          {"wellbeing/negative", "happy"});
    CODES(lex, "not at all very happy", {"wellbeing/positive", "happy"}); /* 4 back */
    CODES(lex, "No, I am happy", {"wellbeing/positive", "happy"});
    CODES(lex, "I am not sad", {"wellbeing/negative", "!sad"}); /* no flip back */
    /* a stop word ends the scope, like punctuation; whole words only */
    CODES(lex, "not that, but happy", {"wellbeing/positive", "happy"});
    CODES(lex, "never sleep unless happy", {"wellbeing/positive", "happy"});
    CODES(lex, "not butter happy", {"wellbeing/positive", "!happy"},
          {"wellbeing/negative", "happy"});
    CODES(lex, "ខ្ញុំមិនខ្លាច ប៉ុន្តែសប្បាយចិត្ត", {"wellbeing/positive", "សប្បាយចិត្ត"});
    /* a not-cue phrase is not a cue */
    CODES(lex, "not only happy", {"wellbeing/positive", "happy"});
    /* Khmer: the four built-in cues as token prefixes, the codebook's cue */
    CODES(lex, "ខ្ញុំមិនសប្បាយចិត្តទេ", {"wellbeing/positive", "!សប្បាយចិត្ត"},
          {"wellbeing/negative", "សប្បាយចិត្ត"});
    CODES(lex, "ខ្ញុំអត់សប្បាយចិត្តទេ", {"wellbeing/positive", "!សប្បាយចិត្ត"},
          {"wellbeing/negative", "សប្បាយចិត្ត"});
    CODES(lex, "ខ្ញុំពុំសប្បាយចិត្ត", {"wellbeing/positive", "!សប្បាយចិត្ត"},
          {"wellbeing/negative", "សប្បាយចិត្ត"});
    CODES(lex, "ឥតសប្បាយចិត្ត", {"wellbeing/positive", "!សប្បាយចិត្ត"},
          {"wellbeing/negative", "សប្បាយចិត្ត"});
    CODES(lex, "ខ្ញុំសប្បាយចិត្ត", {"wellbeing/positive", "សប្បាយចិត្ត"});
    /* អត់ធ្មត់ (patience) starts with the cue អត់ but is a not-cue */
    CODES(lex, "ខ្ញុំអត់ធ្មត់ ខិតខំ", {"resilience", "ខិតខំ"});
    CODES(lex, "ខ្ញុំអត់ខិតខំ", {"resilience", "!ខិតខំ"});
    pupa_lexicon_free(lex);
}

static void test_polar(void)
{
    pupa_lexicon *lex = load(BOOK);
    if (!lex)
        return;
    CODES(lex, "My mother always comforts me.",
          {"relationships/mother/positive", "mother always comforts me"});
    CODES(lex, "My mother never comforts me.",
          {"relationships/mother/positive", "!mother never comforts me"},
          {"relationships/mother/negative", "mother never comforts me"});
    CODES(lex, "My mother hits me.", {"relationships/mother/negative", "mother hits me"},
          {"violence/physical", "hits me"}, {"violence/domestic", "hits me"});
    /* a negated negative stays negated and moves nowhere */
    CODES(lex, "My mother never hits me.",
          {"relationships/mother/negative", "!mother never hits me"},
          {"violence/physical", "!hits me"}, {"violence/domestic", "!hits me"});
    /* entries and a rule under one code, and .negated_as by full path */
    CODES(lex, "My husband helps me", {"relationships/spouse/positive", "husband helps me"});
    NO_CODES(lex, "My husband does not help. ");
    CODES(lex, "My husband never helps me",
          {"relationships/spouse/positive", "!husband never helps me"},
          {"relationships/spouse/negative", "husband never helps me"});
    /* Khmer, in one run of text */
    CODES(lex, "ប្តីខ្ញុំមិនដែលជួយខ្ញុំទេ",
          {"relationships/spouse/positive", "!ប្តីខ្ញុំមិនដែលជួយខ្ញុំ"},
          {"relationships/spouse/negative", "ប្តីខ្ញុំមិនដែលជួយខ្ញុំ"});
    CODES(lex, "ប្តីវាយខ្ញុំ", {"relationships/spouse/negative", "ប្តីវាយខ្ញុំ"},
          {"violence/physical", "វាយខ្ញុំ"}, {"violence/domestic", "វាយខ្ញុំ"});
    pupa_lexicon_free(lex);
}

static void test_hidden_and_entries(void)
{
    pupa_lexicon *lex = load(BOOK);
    if (!lex)
        return;
    /* hidden codes exist, say so, and never come out of pupa_match */
    int hidden = 0, shown = 0;
    for (uint32_t c = 0; c < pupa_lexicon_ncodes(lex); c++) {
        const char *name = pupa_lexicon_code(lex, c);
        int h = pupa_lexicon_code_hidden(lex, c);
        CHECK_EQ_INT(h, strchr(name, '.') != NULL);
        hidden += h;
        shown += !h;
    }
    CHECK(hidden >= 5);
    CHECK(shown >= 8);
    CHECK(pupa_lexicon_code_hidden(lex, 100000) == 0);
    CODES(lex, "mother comforts me", {"relationships/mother/positive", "mother comforts me"});
    /* a rule is an entry of its own: kind, expression, line */
    int rules = 0;
    for (uint32_t i = 0; i < pupa_lexicon_nentries(lex); i++) {
        const pupa_entry *e = pupa_lexicon_entry(lex, i);
        if (e->kind != PUPA_ENTRY_RULE)
            continue;
        if (!rules++) {
            CHECK_EQ_STR(e->pattern, ".who/mother NEAR/4 .good");
            CHECK_EQ_INT(e->line, 17);
            CHECK_EQ_STR(pupa_lexicon_code(lex, e->code), "relationships/mother/positive");
        }
    }
    CHECK_EQ_INT(rules, 6);
    /* a rule hit names the rule's line */
    pupa_matcher *m = NULL;
    CHECK_EQ_INT(pupa_matcher_new(&m, lex), 0);
    const pupa_hit *h = NULL;
    size_t n = 0;
    const char *text = "my mother helps me";
    CHECK_EQ_INT(pupa_match(m, text, strlen(text), &h, &n, NULL), 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1) {
        const pupa_entry *e = pupa_lexicon_entry(lex, h[0].entry);
        CHECK_EQ_INT(e->kind, PUPA_ENTRY_RULE);
        CHECK_EQ_INT(e->line, 17);
        CHECK_EQ_INT(h[0].tok_first, 1);
        CHECK_EQ_INT(h[0].tok_last, 3);
    }
    pupa_matcher_free(m);
    pupa_lexicon_free(lex);
}

/* A rule reading another rule's code and a .negated_as target, declared
 * before them in the file: the order of steps comes from what they read. */
static void test_order(void)
{
    pupa_lexicon *lex = load(".job: [work, job]\n"
                             "push_pull:\n"
                             "  feeling_unhappy:\n"
                             "    .rule: wellbeing/negative AND .job\n"
                             "wellbeing:\n"
                             "  positive:\n"
                             "    - happy\n"
                             "    - .negated_as: negative\n"
                             "  negative:\n"
                             "    - .rule: .sad\n"
                             ".sad: [sad]\n");
    if (!lex)
        return;
    CODES(lex, "I am not happy with my job", {"wellbeing/positive", "!happy"},
          {"wellbeing/negative", "happy"}, {"push_pull/feeling_unhappy", "happy"});
    CODES(lex, "my job makes me sad", {"wellbeing/negative", "sad"},
          {"push_pull/feeling_unhappy", "sad"});
    CODES(lex, "I am happy at work", {"wellbeing/positive", "happy"});
    pupa_lexicon_free(lex);
}

/* ------------------------------------------------------------ errors */

static void expect_error(int line, const char *yaml, ...)
{
    const char *lexpath = put("lex.yml", yaml);
    pupa_lexicon *lex = NULL;
    int rc = pupa_lexicon_load(&lex, lexpath);
    if (rc != PUPA_ELEXICON || lex) {
        fprintf(stderr, "%s:%d: expected PUPA_ELEXICON, got %d for:\n%s\n", __FILE__, line, rc,
                yaml);
        check_failures++;
        pupa_lexicon_free(lex);
        return;
    }
    va_list ap;
    va_start(ap, yaml);
    for (const char *w; (w = va_arg(ap, const char *));)
        if (!strstr(pupa_errmsg(), w)) {
            fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, line, pupa_errmsg(),
                    w);
            check_failures++;
        }
    va_end(ap);
}

static void test_errors(void)
{
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: .a AND .nope\n", "lex.yml:3:", ".nope",
                 "unknown code", NULL);
    expect_error(__LINE__, "a:\n  - x\n  - .rule: a AND b\nb:\n  - y\n", "lex.yml:3:", "cycle",
                 NULL);
    expect_error(__LINE__, "a:\n  .rule: b\nb:\n  .rule: a\n", "cycle", NULL);
    expect_error(__LINE__, "p:\n  x:\n    - .rule: p\n", "lex.yml:3:", "cycle", NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: (.a AND .a\n", "lex.yml:3:", "')'", NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: .a AND .a)\n", "lex.yml:3:", "unbalanced",
                 NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: .a NEAR .a\n", "lex.yml:3:", "NEAR/5", NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: .a NEAR/0 .a\n", "lex.yml:3:", "NEAR/0", NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: .a BEFORE/x .a\n", "lex.yml:3:", NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: NOT .a\n", "lex.yml:3:", "left side", NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: .a AND\n", "lex.yml:3:", "expected a code",
                 NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: .a .a\n", "lex.yml:3:", "expected AND", NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: .a NOT .a\n", "lex.yml:3:", NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: \"\"\n", "lex.yml:3:", NULL);
    expect_error(__LINE__, ".a: [x]\nb:\n  .rule: [.a, {x: y}]\n", "lex.yml:3:", NULL);
    expect_error(__LINE__, ".rule: x\n", "lex.yml:1:", "under a code", NULL);
    expect_error(__LINE__, "a:\n  .negation: {window: 2}\n", "lex.yml:2:", "top", NULL);
    expect_error(__LINE__, ".negation: {window: 0}\na: [x]\n", "lex.yml:1:", "window", NULL);
    expect_error(__LINE__, ".negation: {window: lots}\na: [x]\n", "window", NULL);
    expect_error(__LINE__, ".negation: {colour: red}\na: [x]\n", "colour", NULL);
    expect_error(__LINE__, ".negation: {cues: [\"!!\"]}\na: [x]\n", "lex.yml:1:", NULL);
    expect_error(__LINE__, "a:\n  p:\n    - x\n    - .negated_as: q\n", "lex.yml:4:", "a/q",
                 NULL);
    expect_error(__LINE__, "a:\n  p:\n    - x\n    - .negated_as: p\n", "lex.yml:4:", "itself",
                 NULL);
    expect_error(__LINE__, "a:\n  p:\n    - x\n    - .negated_as: .h\n  .h: [y]\n", "hidden",
                 NULL);
    expect_error(__LINE__, "a:\n  p:\n    .negated_as: q\n  q: [x]\n", "lex.yml:3:",
                 "no entries", NULL);
    expect_error(__LINE__, "a:\n  - x\n  - .exclude: [{b: c}]\n", "lex.yml:3:", NULL);
    expect_error(__LINE__, "a:\n  - x\n  - .exclude: [\"...\"]\n", "lex.yml:3:", NULL);
    /* and a good one loads after all that */
    pupa_lexicon *lex = load(".a: [x]\nb:\n  .rule: .a\n");
    pupa_lexicon_free(lex);
}

static uint64_t hash_of(const char *yaml)
{
    pupa_lexicon *lex = load(yaml);
    uint64_t h = lex ? pupa_lexicon_hash(lex) : 0;
    pupa_lexicon_free(lex);
    return h;
}

static void test_hash(void)
{
    const char *base = "a:\n  p:\n    - x\n    - .negated_as: q\n  q: [y]\n";
    uint64_t h0 = hash_of(base);
    CHECK(h0 == hash_of(base));
    CHECK(h0 != hash_of("a:\n  p:\n    - x\n  q: [y]\n"));
    CHECK(h0 != hash_of(".negation: {window: 2}\na:\n  p:\n    - x\n    - .negated_as: q\n"
                        "  q: [y]\n"));
    CHECK(hash_of(".negation: {cues: [x]}\na: [y]\n") !=
          hash_of(".negation: {not_cues: [x]}\na: [y]\n"));
    CHECK(hash_of("a:\n  - y\n  - .exclude: [y z]\n") != hash_of("a:\n  - y\n  - .exclude: [y w]\n"));
}

/* A plain quanteda dictionary is untouched by the rule layer. */
static void test_plain(void)
{
    pupa_lexicon *lex = load("debt:\n  - debt\n  - money lender\nmood: [happy]\n");
    if (!lex)
        return;
    CODES(lex, "I am not happy about the debt", {"mood", "!happy"}, {"debt", "debt"});
    CHECK_EQ_INT(pupa_lexicon_ncodes(lex), 2);
    pupa_lexicon_free(lex);
}

/* The default codebook on real text, English and Khmer: the fast path and
 * full tokenising give the same hits line by line, rules included (the rule
 * layer re-tokenises for the fast path's hits). */
static void test_corpus_modes(const char *corpora, const char *src)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lexicons/butterfly.yml", src);
    pupa_lexicon *lex = NULL;
    CHECK_EQ_INT(pupa_lexicon_load(&lex, path), 0);
    if (!lex)
        return;
    static const char *files[] = {"ntrex/newstest2019-src.eng.txt",
                                  "ntrex/newstest2019-ref.khm.txt"};
    pupa_matcher *full = NULL, *fast = NULL;
    CHECK_EQ_INT(pupa_matcher_new(&full, lex), 0);
    CHECK_EQ_INT(pupa_matcher_new(&fast, lex), 0);
    CHECK(fast && pupa_matcher_set_mode(fast, PUPA_MATCH_FAST_ONLY) == 0);
    if (full && fast) {
        size_t lines = 0, hits = 0, bad = 0;
        for (size_t k = 0; k < 2; k++) {
            snprintf(path, sizeof path, "%s/%s", corpora, files[k]);
            FILE *f = fopen(path, "rb");
            if (!f) {
                fprintf(stderr, "%s: missing\n", path);
                check_failures++;
                continue;
            }
            char line[65536];
            while (fgets(line, sizeof line, f)) {
                size_t len = strcspn(line, "\r\n");
                const pupa_hit *a, *b;
                size_t na = 0, nb = 0;
                if (pupa_match(full, line, len, &a, &na, NULL) ||
                    pupa_match(fast, line, len, &b, &nb, NULL)) {
                    bad++;
                    continue;
                }
                /* a's array is the full matcher's: still valid after b's call */
                int same = na == nb;
                for (size_t i = 0; same && i < na; i++)
                    same = a[i].code == b[i].code && a[i].entry == b[i].entry &&
                           a[i].start == b[i].start && a[i].end == b[i].end &&
                           a[i].negated == b[i].negated;
                if (!same && bad++ < 3)
                    fprintf(stderr, "modes differ on: %.*s\n", (int)len, line);
                lines++;
                hits += na;
            }
            fclose(f);
        }
        fprintf(stderr, "butterfly codebook, both modes: %zu lines, %zu hits, %zu differ\n",
                lines, hits, bad);
        CHECK_EQ_INT(bad, 0);
        CHECK(hits > 300);
    }
    pupa_matcher_free(full);
    pupa_matcher_free(fast);
    pupa_lexicon_free(lex);
}

int main(int argc, char **argv)
{
    tmp_setup("rules");
    test_operator_semantics();
    test_precedence();
    test_exclusions();
    test_negation();
    test_polar();
    test_hidden_and_entries();
    test_order();
    test_errors();
    test_hash();
    test_plain();
    struct stat st;
    if (argc > 2 && stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode)) {
        test_corpus_modes(argv[1], argv[2]);
    } else if (!check_failures) { /* a failure is not hidden by a skip */
        tmp_cleanup();
        require_corpora(argc > 1 ? argv[1] : NULL);
    }
    tmp_cleanup();
    return check_result();
}
