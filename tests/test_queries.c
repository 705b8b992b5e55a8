/*
 * test_queries.c: the analysts' questions (query.c, analysis.c) on
 * corpora-sample, with every expected number worked out by hand from the
 * transcripts and the hit list in tests/expected/sample-counts.md (whose
 * counts tests/expected/count.py reproduces independently).  The comment
 * next to each number says where it comes from.
 *
 * Two indexes are built: the sample with tests/data/starter.yml (the
 * starter codebook frozen as sample-counts.md describes it, so the numbers
 * stay put when lexicons/butterfly.yml grows), and the sample with
 * tests/data/behaviour.yml (an invented toward/away lexicon for the shape
 * of the study's Table 7).
 *
 * Metadata used throughout (sample-counts.md, "Corpus"):
 *   shelter:   P001 2011-2013 (Female SP), P002 2011 (Female SP),
 *              P008 2013-2014 (Female SP; 2014 from manifest.csv)
 *   community: every other participant-year.  27 documents, each its own
 *   participant-year; 10 participants.
 */
#include "check.h"
#include "pupa.h"
#include "query.h" /* pupa_code_match, for the differential test of quote paths */

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpdir.h"

static pupa_index *build(const char *src, const char *lexicon, const char *name)
{
    char corpus[1024], lex[1024], dir[512];
    snprintf(corpus, sizeof corpus, "%s/corpora-sample", src);
    snprintf(lex, sizeof lex, "%s/%s", src, lexicon);
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
    pupa_build_opts o = {.lexicon = lex, .threads = 2};
    pupa_build_stats st;
    int rc = pupa_index_build(corpus, dir, &o, &st);
    if (rc) {
        fprintf(stderr, "index %s: %s\n", lexicon, pupa_errmsg());
        return NULL;
    }
    CHECK_EQ_INT(st.docs, 27);
    pupa_index *ix = NULL;
    if (pupa_index_open(&ix, dir))
        fprintf(stderr, "open %s: %s\n", dir, pupa_errmsg());
    return ix;
}

/* ------------------------------------------------------------- tables */

/* The cell of row `row` and the column labelled `col` ("community /
 * negative"); NULL col: the row's total; NULL row: the column's total. */
static pupa_cell cell(const pupa_table *t, const char *row, const char *col)
{
    size_t r = t->nrows, c = t->ncols;
    for (size_t i = 0; row && i < t->nrows; i++)
        if (!strcmp(t->rows[i], row)) r = i;
    for (size_t i = 0; col && i < t->ncols; i++)
        if (!strcmp(t->cols[i], col)) c = i;
    pupa_cell none = {9999, 9999};
    if ((row && r == t->nrows) || (col && c == t->ncols))
        return none; /* a missing row or column fails every check */
    if (!row && !col) return t->total;
    if (!row) return t->col_total[c];
    if (!col) return t->row_total[r];
    return t->cells[r * t->ncols + c];
}

#define CELL(t, row, col, ind, com)                                                  \
    do {                                                                             \
        pupa_cell c_ = cell(t, row, col);                                            \
        CHECK_EQ_INT(c_.individuals, ind);                                           \
        CHECK_EQ_INT(c_.comments, com);                                              \
    } while (0)

/* Table 9: relation x setting x positive/negative.  The relationship hits
 * (sample-counts.md), as segments:
 *   mother/positive    P006 2012 s1,s2 (community); P001 2013 s1,s2 (shelter)
 *   mother/negative    P008 2013 s3,s4 (shelter)
 *   father/negative    P003 2011 s3,s4 (community); P008 2014 s5,s6 (shelter)
 *   family/positive    P002 2012 s5,s6; P002 2013 s1,s2; P005 2013 s6;
 *                      P007 2013 s5,s6 (all community)
 *   spouse/positive    P004 2011 s3,s4;  spouse/negative P004 2012 s1,s2
 *   parents_in_law/neg P004 2011 s5,s6; P004 2012 s5,s6
 *   neighbors/positive P003 2012 s5,s6; P006 2012 s5,s6
 *   coworkers/positive P007 2012 s2;     coworkers/negative P009 2013 s4
 * No segment holds two relationship codes, so the 31 comments add up. */
static void test_table9(pupa_index *ix)
{
    pupa_filter f;
    pupa_filter_init(&f);
    f.code = "relationships";
    pupa_dim dims[] = {{PUPA_DIM_META, "setting", 0}, {PUPA_DIM_CODE, "polarity", 3}};
    pupa_table_spec spec = {2, dims, 2};
    pupa_table *t = NULL;
    CHECK_EQ_INT(pupa_table_query(ix, &spec, &f, &t), 0);
    if (!t)
        return;
    CHECK_EQ_INT(t->nrows, 7); /* the seven relations with a hit; father has no positive */
    CHECK_EQ_INT(t->ncols, 4); /* community and shelter, each negative and positive */
    CHECK_EQ_INT(t->ndims, 2);
    CHECK_EQ_STR(t->dims[1], "polarity");
    CHECK_EQ_STR(t->cols[0], "community / negative"); /* columns sort by their values */
    CHECK_EQ_STR(t->col_values[0 * 2 + 0], "community");
    CHECK_EQ_STR(t->col_values[3 * 2 + 1], "positive");
    CELL(t, "relationships/mother", "community / positive", 1, 2); /* P006 2012 s1,s2 */
    CELL(t, "relationships/mother", "shelter / positive", 1, 2);   /* P001 2013 s1,s2 */
    CELL(t, "relationships/mother", "shelter / negative", 1, 2);   /* P008 2013 s3,s4 */
    CELL(t, "relationships/mother", "community / negative", 0, 0);
    CELL(t, "relationships/mother", NULL, 3, 6);                   /* P006, P001, P008 */
    CELL(t, "relationships/father", "community / negative", 1, 2); /* P003 2011 */
    CELL(t, "relationships/father", "shelter / negative", 1, 2);   /* P008 2014 (manifest) */
    CELL(t, "relationships/family", "community / positive", 3, 7); /* P002 x4, P005 x1, P007 x2 */
    CELL(t, "relationships/spouse_partner", "community / positive", 1, 2);
    CELL(t, "relationships/spouse_partner", "community / negative", 1, 2);
    CELL(t, "relationships/spouse_partner", NULL, 1, 4);           /* P004 once over columns */
    CELL(t, "relationships/parents_in_law", "community / negative", 1, 4);
    CELL(t, "relationships/neighbors_community", "community / positive", 2, 4);
    CELL(t, "relationships/coworkers_employer", "community / positive", 1, 1);
    CELL(t, "relationships/coworkers_employer", "community / negative", 1, 1);
    /* Column totals: community negative = coworkers 1 + father 2 + in-law 4
     * + spouse 2 = 9 comments of P009, P003, P004; community positive =
     * 1 + 7 + 2 + 4 + 2 = 16 of P007, P002, P005, P006, P003, P004; shelter
     * negative 4 (P008); shelter positive 2 (P001). */
    CELL(t, NULL, "community / negative", 3, 9);
    CELL(t, NULL, "community / positive", 6, 16);
    CELL(t, NULL, "shelter / negative", 1, 4);
    CELL(t, NULL, "shelter / positive", 1, 2);
    CELL(t, NULL, NULL, 9, 31); /* = relationships ALL in table-depth1-by-group.tsv */
    pupa_table_free(t);
}

/* Table 11: discrimination source x group, separately for shelter and
 * community.  Hits: family P003 2012 s1,s2 (Female SP/RC, community);
 * shelter_program P008 2014 s3,s4 (Female SP, shelter); community P001
 * 2012 s3,s4 (two hits each; Female SP, shelter), P002 2012 s3,s4
 * (Female SP/RC, community), P009 2013 s4 (Female RC, community). */
static void test_table11(pupa_index *ix)
{
    pupa_filter f;
    pupa_filter_init(&f);
    f.code = "discrimination";
    pupa_kv where = {"setting", "shelter"};
    f.where = &where;
    f.nwhere = 1;
    pupa_table *t = NULL;
    CHECK_EQ_INT(pupa_table_build(ix, 2, "group", &f, &t), 0);
    if (t) {
        CHECK_EQ_INT(t->ncols, 1); /* only Female SP was in a shelter with these codes */
        CELL(t, "discrimination/community", "Female SP", 1, 2);       /* P001, 4 hits in 2 segments */
        CELL(t, "discrimination/shelter_program", "Female SP", 1, 2); /* P008 */
        CELL(t, NULL, "Female SP", 2, 4);
        CHECK_EQ_INT(t->nrows, 2); /* no family discrimination in a shelter */
        pupa_table_free(t);
    }
    where.value = "community";
    CHECK_EQ_INT(pupa_table_build(ix, 2, "group", &f, &t), 0);
    if (t) {
        CHECK_EQ_INT(t->ncols, 2);
        CELL(t, "discrimination/community", "Female RC", 1, 1);    /* P009 2013 s4 */
        CELL(t, "discrimination/community", "Female SP/RC", 1, 2); /* P002 2012 s3,s4 */
        CELL(t, "discrimination/family", "Female SP/RC", 1, 2);    /* P003 2012 s1,s2 */
        CELL(t, NULL, "Female SP/RC", 2, 4);                       /* P002 and P003 */
        CELL(t, NULL, NULL, 3, 5);
        pupa_table_free(t);
    }
    /* The same in one table: setting x group columns. */
    f.where = NULL;
    f.nwhere = 0;
    pupa_dim dims[] = {{PUPA_DIM_META, "setting", 0}, {PUPA_DIM_META, "group", 0}};
    pupa_table_spec spec = {2, dims, 2};
    CHECK_EQ_INT(pupa_table_query(ix, &spec, &f, &t), 0);
    if (t) {
        CHECK_EQ_INT(t->ncols, 3);
        CELL(t, "discrimination/community", "shelter / Female SP", 1, 2);
        CELL(t, "discrimination/community", "community / Female SP/RC", 1, 2);
        CELL(t, "discrimination/community", NULL, 3, 5); /* 5 segments, as in sample-counts.md */
        CELL(t, NULL, NULL, 5, 9);                       /* = discrimination ALL */
        pupa_table_free(t);
    }
}

/* Table 7: behaviour x setting x toward/away, from tests/data/behaviour.yml.
 * Its 11 hits, each one segment (file: segment as `pupa code` numbers it):
 *   drugs_alcohol/toward   "drink alcohol"  P004 2012 s4 (community)
 *   drugs_alcohol/away     "stay away"      P006 2014 s6 (community)
 *   violent_rel./away      "separate from my husband" P004 2014 s6
 *   employment/toward      "better job" P005 2012 s8, P009 2013 s2;
 *                          "another job" P009 2014 s6 (community);
 *                          "learning to sew" P002 2011 s2 (shelter)
 *   employment/away        "quit"           P007 2013 s2 (community)
 *   personal_health/toward "medical treatment" P009 2014 s4
 *   sex_work/away          "used to work at" P003 2012 s2 (community),
 *                                            P008 2014 s4 (shelter)
 * "cannot" in P004 2012 s4 stands four tokens before "drink": not negated. */
static void test_table7(pupa_index *ix)
{
    pupa_filter f;
    pupa_filter_init(&f);
    pupa_dim dims[] = {{PUPA_DIM_META, "setting", 0}, {PUPA_DIM_CODE, "direction", 3}};
    pupa_table_spec spec = {2, dims, 2};
    pupa_table *t = NULL;
    CHECK_EQ_INT(pupa_table_query(ix, &spec, &f, &t), 0);
    if (!t)
        return;
    CHECK_EQ_INT(t->nrows, 5);
    CELL(t, "behaviour/drugs_alcohol", "community / toward", 1, 1);
    CELL(t, "behaviour/drugs_alcohol", "community / away", 1, 1);
    CELL(t, "behaviour/employment", "community / toward", 2, 3); /* P005, P009 twice */
    CELL(t, "behaviour/employment", "community / away", 1, 1);   /* P007 */
    CELL(t, "behaviour/employment", "shelter / toward", 1, 1);   /* P002 2011 */
    CELL(t, "behaviour/employment", NULL, 4, 5);
    CELL(t, "behaviour/sex_work", "shelter / away", 1, 1);
    CELL(t, "behaviour/sex_work", "community / away", 1, 1);
    CELL(t, "behaviour/violent_relationship", "community / away", 1, 1);
    CELL(t, "behaviour/personal_health", "community / toward", 1, 1);
    CELL(t, NULL, "community / away", 4, 4);   /* P006, P004, P007, P003 */
    CELL(t, NULL, "community / toward", 3, 5); /* P004, P005, P009 */
    CELL(t, NULL, NULL, 8, 11);                /* 11 hits, 11 segments, 8 participants */
    pupa_table_free(t);
}

/* --where: the same key twice means either; keys AND; year is the doc's. */
static void test_where(pupa_index *ix)
{
    pupa_filter f;
    pupa_filter_init(&f);
    f.code = "trust";
    pupa_kv w[] = {{"group", "Female RC"}, {"group", "Male SP/RC"}};
    f.where = w;
    f.nwhere = 2;
    pupa_table *t = NULL;
    CHECK_EQ_INT(pupa_table_build(ix, 1, "group", &f, &t), 0);
    if (t) {
        CHECK_EQ_INT(t->ncols, 2);
        CELL(t, "trust", "Female RC", 1, 2);  /* P005 2014 s3,s4 */
        CELL(t, "trust", "Male SP/RC", 1, 2); /* P007 2012 s5,s6 */
        pupa_table_free(t);
    }
    /* year=2014 and the header-only key form: only P010 2014. */
    pupa_kv w2[] = {{"year", "2014"}, {"form", "written answer sheet"}};
    f.where = w2;
    CHECK_EQ_INT(pupa_table_build(ix, 1, "year", &f, &t), 0);
    if (t) {
        CELL(t, "trust", "2014", 1, 3); /* P010 s3, s4, s6 */
        pupa_table_free(t);
    }
    f.nwhere = 1; /* year=2014 alone: P002's 2014 trust hits are negated */
    CHECK_EQ_INT(pupa_table_build(ix, 1, "year", &f, &t), 0);
    if (t) {
        CELL(t, "trust", "2014", 2, 5); /* P005 s3,s4 and P010 s3,s4,s6 */
        pupa_table_free(t);
    }
    pupa_kv w3 = {"no-such-key", "x"};
    f.where = &w3;
    CHECK_EQ_INT(pupa_table_build(ix, 1, "group", &f, &t), 0);
    if (t) {
        CHECK_EQ_INT(t->nrows, 0); /* a document without the key never passes */
        pupa_table_free(t);
    }
}

/* ------------------------------------------------------------- quotes */

typedef struct qrow {
    char participant[8], code[64], term[64];
    int year;
    uint32_t segment, turn;
    size_t nbefore, nafter;
    uint32_t before_turn, after_turn;
    int before_role;
} qrow;

typedef struct qlist {
    qrow r[64];
    size_t n;
} qlist;

static int collect_quote(void *ctx, const pupa_quote *q)
{
    qlist *l = ctx;
    if (l->n == 64)
        return 1;
    qrow *r = &l->r[l->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->participant, sizeof r->participant, "%s", q->participant);
    snprintf(r->code, sizeof r->code, "%s", q->code);
    snprintf(r->term, sizeof r->term, "%.*s", (int)(q->hit_end - q->hit_start), q->text + q->hit_start);
    r->year = q->year;
    r->segment = q->segment;
    r->turn = q->turn;
    r->nbefore = q->nbefore;
    r->nafter = q->nafter;
    if (q->nbefore) {
        r->before_turn = q->before[0].turn;
        r->before_role = q->before[0].role;
    }
    if (q->nafter)
        r->after_turn = q->after[0].turn;
    return 0;
}

static size_t quotes(pupa_index *ix, const pupa_filter *f, qlist *l)
{
    l->n = 0;
    CHECK_EQ_INT(pupa_quotes(ix, f, collect_quote, l), 0);
    return l->n;
}

static void test_quotes(pupa_index *ix)
{
    qlist l;
    pupa_filter f;
    pupa_filter_init(&f);
    /* Context: P002 2011 has turns I(0) s1(1) s2(2) I(3) s3(4) s4(5) I(6)
     * s5(7) s6(8) I(9) s7(10) s8(11); stigma is in s7 (ខ្មាស់គេ) and s8
     * (ashamed).  In 2012, I(0) s1 s2 I(3) s3(4) s4(5) I(6): stigma in s3, s4. */
    f.code = "stigma";
    f.participant = "P002";
    f.context = 1;
    CHECK_EQ_INT(quotes(ix, &f, &l), 4);
    CHECK_EQ_INT(l.r[0].segment, 7);
    CHECK_EQ_INT(l.r[0].turn, 10);
    CHECK_EQ_INT(l.r[0].nbefore, 1);
    CHECK_EQ_INT(l.r[0].before_turn, 9); /* the interviewer's question */
    CHECK_EQ_INT(l.r[0].before_role, PUPA_ROLE_INTERVIEWER);
    CHECK_EQ_INT(l.r[0].after_turn, 11);
    CHECK_EQ_INT(l.r[1].segment, 8);
    CHECK_EQ_INT(l.r[1].nafter, 0); /* the last turn of the file */
    CHECK_EQ_INT(l.r[2].year, 2012);
    CHECK_EQ_INT(l.r[2].turn, 4);
    CHECK_EQ_INT(l.r[3].after_turn, 6);
    f.context = 3; /* s7 of 2011: turns 7-9 before, 11 after */
    f.year_min = f.year_max = 2011;
    CHECK_EQ_INT(quotes(ix, &f, &l), 2);
    CHECK_EQ_INT(l.r[0].nbefore, 3);
    CHECK_EQ_INT(l.r[0].before_turn, 7);
    CHECK_EQ_INT(l.r[0].nafter, 1);

    /* Stable order: participant, year, document, segment.  Trust in a
     * shelter: P001 2012 s5,s6; P001 2013 s1,s2; P002 2011 s5,s6; P008 2013 s7,s8. */
    pupa_filter_init(&f);
    f.code = "trust";
    pupa_kv w = {"setting", "shelter"};
    f.where = &w;
    f.nwhere = 1;
    CHECK_EQ_INT(quotes(ix, &f, &l), 8);
    static const char *const who[] = {"P001", "P001", "P001", "P001", "P002", "P002", "P008", "P008"};
    static const int year[] = {2012, 2012, 2013, 2013, 2011, 2011, 2013, 2013};
    static const uint32_t seg[] = {5, 6, 1, 2, 5, 6, 7, 8};
    for (size_t i = 0; i < 8 && i < l.n; i++) {
        CHECK_EQ_STR(l.r[i].participant, who[i]);
        CHECK_EQ_INT(l.r[i].year, year[i]);
        CHECK_EQ_INT(l.r[i].segment, seg[i]);
    }

    /* Age 20-25: P003 2013 (21) s3,s4 and P010 2014 (22) s3,s4,s6. */
    pupa_filter_init(&f);
    f.code = "trust";
    f.age_min = 20;
    f.age_max = 25;
    CHECK_EQ_INT(quotes(ix, &f, &l), 5);
    /* Khmer only: the 9 counted ទុកចិត្ត hits (sample-counts.md; P002 2014 s5 negated). */
    pupa_filter_init(&f);
    f.code = "trust";
    f.lang = PUPA_LANG_KM;
    CHECK_EQ_INT(quotes(ix, &f, &l), 9);
    /* Speaker P: the 20 counted trust hits less P010's 3 unlabelled paragraphs. */
    f.lang = -1;
    f.speaker = "P";
    CHECK_EQ_INT(quotes(ix, &f, &l), 17);
    /* With --negated, P002 2014 s5 and s6 come back (in her order, after 2011). */
    pupa_filter_init(&f);
    f.code = "trust";
    f.participant = "P002";
    f.negated = 1;
    CHECK_EQ_INT(quotes(ix, &f, &l), 4);
    CHECK_EQ_INT(l.r[2].year, 2014);

    /* Code patterns: "*" any component, "a,b" either, "/" boundaries. */
    pupa_filter_init(&f);
    f.code = "relationships/*/negative"; /* mother 2 + father 4 + spouse 2 + in-law 4 + coworkers 1 */
    CHECK_EQ_INT(quotes(ix, &f, &l), 13);
    f.code = "relationships/mother,father"; /* mother 4 + 2, father 4 */
    CHECK_EQ_INT(quotes(ix, &f, &l), 10);
    f.code = "violence"; /* physical 6 + domestic 3 */
    CHECK_EQ_INT(quotes(ix, &f, &l), 9);
    f.code = "violent"; /* not a prefix on a "/" boundary */
    CHECK_EQ_INT(quotes(ix, &f, &l), 0);
    f.code = "relationships/mother/negative/more"; /* deeper than any code */
    CHECK_EQ_INT(quotes(ix, &f, &l), 0);
}

/* A quote as a line, for comparing whole sequences of them. */
typedef struct qtrace {
    char *text;
    size_t len, cap, n;
    size_t stop_after; /* 0: never stop */
} qtrace;

static int trace_quote(void *ctx, const pupa_quote *q)
{
    qtrace *t = ctx;
    char line[512];
    int k = snprintf(line, sizeof line, "%s|%s|%d|%u|%u|%s|%s|%u|%u|%d|%zu|%zu\n", q->participant,
                     q->doc, q->year, q->segment, q->turn, q->code, q->entry, q->hit_start,
                     q->hit_end, q->negated, q->nbefore, q->nafter);
    if (k > 0 && (size_t)k < sizeof line) {
        if (t->len + (size_t)k + 1 > t->cap) {
            t->cap = (t->len + (size_t)k + 1) * 2;
            t->text = realloc(t->text, t->cap);
        }
        memcpy(t->text + t->len, line, (size_t)k + 1);
        t->len += (size_t)k;
    }
    return t->stop_after && ++t->n >= t->stop_after;
}

static qtrace trace(pupa_index *ix, const pupa_filter *f, size_t stop_after)
{
    qtrace t = {NULL, 0, 0, 0, stop_after};
    CHECK_EQ_INT(pupa_quotes(ix, f, trace_quote, &t), 0);
    return t;
}

/* Quotes without a code walk the participants a participant at a time
 * (pupa_q_turns_by_participant); with the pattern "" (every code) they
 * read the postings, then the documents those name in output order
 * (pupa_q_turns_by_document).  The two must quote the same hits in the
 * same order, and --limit (or a callback that stops) must give the first
 * quotes of the whole list. */
static void test_quote_paths(pupa_index *ix)
{
    for (int k = 0; k < 4; k++) {
        pupa_filter f;
        pupa_filter_init(&f);
        f.negated = k & 1;
        if (k == 2) {
            f.year_min = 2012;
            f.year_max = 2013;
            f.context = 1;
        }
        if (k == 3)
            f.lang = PUPA_LANG_KM;
        qtrace walk = trace(ix, &f, 0);
        f.code = "";
        qtrace posted = trace(ix, &f, 0);
        CHECK(walk.len == posted.len && walk.text && posted.text &&
              memcmp(walk.text, posted.text, walk.len) == 0);
        f.code = NULL;
        size_t lines = 0;
        for (size_t i = 0; i < walk.len; i++)
            lines += walk.text[i] == '\n';
        CHECK(lines > 20);
        /* The first n, by --limit and by a callback that stops. */
        for (size_t n = 1; n < lines; n += lines / 3) {
            f.limit = n;
            qtrace lim = trace(ix, &f, 0);
            f.limit = 0;
            qtrace cb = trace(ix, &f, n);
            size_t nl = 0, i = 0;
            while (i < walk.len && nl < n)
                nl += walk.text[i++] == '\n';
            CHECK(lim.len == i && lim.text && memcmp(lim.text, walk.text, i) == 0);
            CHECK(cb.len == i && cb.text && memcmp(cb.text, walk.text, i) == 0);
            free(lim.text);
            free(cb.text);
        }
        free(walk.text);
        free(posted.text);
    }
}

/* The code field of a trace line (participant|doc|year|segment|turn|code|...). */
static const char *trace_code(const char *line, char *buf, size_t cap)
{
    const char *p = line;
    for (int bar = 0; bar < 5 && p; bar++)
        p = (p = strchr(p, '|')) ? p + 1 : NULL;
    const char *e = p ? strchr(p, '|') : NULL;
    if (!e || (size_t)(e - p) >= cap)
        return "";
    memcpy(buf, p, (size_t)(e - p));
    buf[e - p] = '\0';
    return buf;
}

/* Quotes by code read the codes' postings and their documents
 * (pupa_q_turns_by_document); quotes without one walk the participants.
 * For many patterns, the first must equal the second's lines whose code
 * the pattern matches, in the same order, negated hits and not. */
static void test_quote_paths_by_code(pupa_index *ix)
{
    for (int negated = 0; negated < 2; negated++) {
        pupa_filter f;
        pupa_filter_init(&f);
        f.negated = negated;
        qtrace all = trace(ix, &f, 0);
        /* The patterns: every code's own path and its first component,
         * then a pair of first components and a wildcard. */
        char pats[96][96];
        size_t npats = 0;
        for (const char *line = all.text; line && *line && npats + 2 < 90;) {
            const char *nl = strchr(line, '\n');
            char code[96];
            trace_code(line, code, sizeof code);
            const char *slash = strchr(code, '/');
            char top[96];
            snprintf(top, sizeof top, "%.*s", slash ? (int)(slash - code) : (int)strlen(code),
                     code);
            const char *cand[2] = {code, top};
            for (int c = 0; c < 2; c++) {
                size_t k = 0;
                while (k < npats && strcmp(pats[k], cand[c]) != 0)
                    k++;
                if (k == npats && cand[c][0])
                    snprintf(pats[npats++], sizeof pats[0], "%s", cand[c]);
            }
            line = nl ? nl + 1 : NULL;
        }
        CHECK(npats > 10);
        snprintf(pats[npats++], sizeof pats[0], "trust,stigma");
        snprintf(pats[npats++], sizeof pats[0], "relationships/*/negative");
        for (size_t k = 0; k < npats; k++) {
            f.code = pats[k];
            qtrace got = trace(ix, &f, 0);
            /* The expected lines, filtered from the walk's. */
            size_t elen = 0, nexp = 0;
            char *exp = malloc(all.len + 1);
            for (const char *line = all.text; exp && line && *line;) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
                char code[96];
                if (pupa_code_match(trace_code(line, code, sizeof code), pats[k])) {
                    memcpy(exp + elen, line, len);
                    elen += len;
                    nexp++;
                }
                line = nl ? nl + 1 : NULL;
            }
            int same = exp && got.len == elen && (!elen || memcmp(got.text, exp, elen) == 0);
            if (!same) {
                fprintf(stderr, "%s:%d: quotes --code %s%s: %zu bytes, want %zu (%zu quotes)\n",
                        __FILE__, __LINE__, pats[k], negated ? " --negated" : "", got.len, elen,
                        nexp);
                check_failures++;
            }
            free(exp);
            free(got.text);
        }
        free(all.text);
    }
}

/* ------------------------------------------------------- co-occurrence */

static pupa_count mcell(const pupa_cooccur *m, const char *a, const char *b)
{
    size_t i = m->ncodes, j = m->ncodes;
    for (size_t k = 0; k < m->ncodes; k++) {
        if (!strcmp(m->codes[k], a)) i = k;
        if (!strcmp(m->codes[k], b)) j = k;
    }
    pupa_count none = {9999, 9999};
    return i < m->ncodes && j < m->ncodes ? m->cells[i * m->ncodes + j] : none;
}

#define MCELL(m, a, b, nunits, nind)                                                 \
    do {                                                                             \
        pupa_count c_ = mcell(m, a, b);                                              \
        CHECK_EQ_INT(c_.units, nunits);                                              \
        CHECK_EQ_INT(c_.individuals, nind);                                          \
    } while (0)

static void test_cooccur(pupa_index *ix)
{
    pupa_filter f;
    pupa_filter_init(&f);
    pupa_cooccur *m = NULL;
    CHECK_EQ_INT(pupa_cooccur_build(ix, PUPA_UNIT_SEGMENT, 1, &f, &m), 0);
    if (m) {
        CHECK_EQ_INT(m->ncodes, 10);
        /* The diagonal is the table's ALL row: segments and individuals. */
        MCELL(m, "debt", "debt", 14, 5);
        MCELL(m, "wellbeing", "wellbeing", 50, 10);
        MCELL(m, "relationships", "relationships", 31, 9);
        /* Debt with wellbeing in one segment: P002 2011 s3,s4; P004 2013
         * s5,s6; P005 2013 s3,s4; P008 2014 s5,s6; P009 2014 s5,s6.  (P005
         * 2012 has debt in s3,s4 and wellbeing in s5,s6: not together.) */
        MCELL(m, "debt", "wellbeing", 10, 5);
        MCELL(m, "wellbeing", "debt", 10, 5);
        /* Trust with relationships: P001 2013 s1 and s2 only. */
        MCELL(m, "trust", "relationships", 2, 1);
        /* Debt with push_pull: P005 2012 s3,s4 (family obligation), P009 2014 s6 (unemployed). */
        MCELL(m, "debt", "push_pull", 3, 2);
        MCELL(m, "hope", "trust", 0, 0);
        pupa_cooccur_free(m);
    }
    CHECK_EQ_INT(pupa_cooccur_build(ix, PUPA_UNIT_PARTICIPANT_YEAR, 1, &f, &m), 0);
    if (m) {
        /* Debt participant-years: P002 2011, P005 2012-2014, P004 2013,
         * P008 2014, P009 2014 = 7 of 5 participants; all but P005 2014
         * also have wellbeing (P005 2012's is in other segments). */
        MCELL(m, "debt", "debt", 7, 5);
        MCELL(m, "debt", "wellbeing", 6, 5);
        pupa_cooccur_free(m);
    }
    /* --code narrows the codes; depth 2 splits them. */
    f.code = "relationships/spouse_partner,parents_in_law";
    CHECK_EQ_INT(pupa_cooccur_build(ix, PUPA_UNIT_PARTICIPANT_YEAR, 3, &f, &m), 0);
    if (m) {
        CHECK_EQ_INT(m->ncodes, 3); /* spouse positive and negative, in-law negative */
        /* P004 2011: spouse positive and in-law negative; 2012: spouse
         * negative and in-law negative. */
        MCELL(m, "relationships/parents_in_law/negative", "relationships/spouse_partner/positive", 1, 1);
        MCELL(m, "relationships/parents_in_law/negative", "relationships/spouse_partner/negative", 1, 1);
        MCELL(m, "relationships/parents_in_law/negative", "relationships/parents_in_law/negative", 2, 1);
        pupa_cooccur_free(m);
    }
}

#define COUNT(c, u, i)                                                               \
    do {                                                                             \
        CHECK_EQ_INT((c).units, u);                                                  \
        CHECK_EQ_INT((c).individuals, i);                                            \
    } while (0)

static void test_crossref(pupa_index *ix)
{
    pupa_filter f;
    pupa_filter_init(&f);
    pupa_crossref x;
    /* Well-being (positive) with insufficient earnings, per participant-year.
     * wellbeing/positive: P001 2011, P004 2011, P007 2012, P001 2013, P002
     * 2013, P007 2013, P008 2014, P010 2014 = 8 of 6 participants (P001
     * 2012 and P004 2014 are negated).  insufficient earnings: P002 2012,
     * P006 2014.  Together: none.  Scope: 27 participant-years of 10; the
     * 17 with neither belong to everyone but P007 and P010 (8). */
    CHECK_EQ_INT(pupa_crossref_build(ix, PUPA_UNIT_PARTICIPANT_YEAR, "wellbeing/positive",
                                     "push_pull/insufficient_earnings", &f, &x), 0);
    COUNT(x.a, 8, 6);
    COUNT(x.b, 2, 2);
    COUNT(x.both, 0, 0);
    COUNT(x.a_not_b, 8, 6);
    COUNT(x.b_not_a, 2, 2);
    COUNT(x.scope, 27, 10);
    COUNT(x.neither, 17, 8);
    /* In the community only: 21 participant-years of 8 participants
     * (drop P001 x3, P002 2011, P008 x2); wellbeing/positive in P004
     * 2011, P007 2012 and 2013, P002 2013, P010 2014. */
    pupa_kv w = {"setting", "community"};
    f.where = &w;
    f.nwhere = 1;
    CHECK_EQ_INT(pupa_crossref_build(ix, PUPA_UNIT_PARTICIPANT_YEAR, "wellbeing/positive",
                                     "push_pull/insufficient_earnings", &f, &x), 0);
    COUNT(x.a, 5, 4);
    COUNT(x.scope, 21, 8);
    COUNT(x.neither, 14, 6); /* P002 2014, P003 x3, P004 2012-14, P005 x3, P006 2011-12, P009 x2 */
    /* Only negative relationships.  Negative relationship participant-
     * years: P003 2011, P004 2011 and 2012, P008 2013 and 2014, P009 2013;
     * P004 2011 also has a positive one (spouse), so "only" keeps 5 of 4
     * participants.  With wellbeing/positive: plain, P004 2011 and P008
     * 2014 (សប្បាយចិត្ត in s1); only, P008 2014 alone. */
    f.where = NULL;
    f.nwhere = 0;
    CHECK_EQ_INT(pupa_crossref_build(ix, PUPA_UNIT_PARTICIPANT_YEAR, "relationships/*/negative",
                                     "wellbeing/positive", &f, &x), 0);
    COUNT(x.a, 6, 4);
    COUNT(x.both, 2, 2);
    CHECK_EQ_INT(pupa_crossref_build(ix, PUPA_UNIT_PARTICIPANT_YEAR, "only:relationships/*/negative",
                                     "wellbeing/positive", &f, &x), 0);
    COUNT(x.a, 5, 4);
    COUNT(x.both, 1, 1);
    COUNT(x.a_not_b, 4, 4); /* P003 2011, P004 2012, P008 2013, P009 2013 */
    /* Family relations only: coworkers (P009 2013) is neither the term nor a sibling. */
    CHECK_EQ_INT(pupa_crossref_build(ix, PUPA_UNIT_PARTICIPANT_YEAR,
                                     "only:relationships/mother,father,family,spouse_partner,parents_in_law/negative",
                                     "wellbeing/positive", &f, &x), 0);
    COUNT(x.a, 4, 3);
    /* The community: no participant-year with only negative relationships
     * has well-being (the paper's finding, on the sample). */
    f.where = &w;
    f.nwhere = 1;
    CHECK_EQ_INT(pupa_crossref_build(ix, PUPA_UNIT_PARTICIPANT_YEAR, "only:relationships/*/negative",
                                     "wellbeing/positive", &f, &x), 0);
    COUNT(x.a, 3, 3); /* P003 2011, P004 2012, P009 2013 */
    COUNT(x.both, 0, 0);
    /* Per segment: wellbeing/positive (17 segments of 6) with relationships
     * (31 of 9): P004 2011 s3,s4 and P007 2013 s5,s6.  No scope for segments. */
    f.where = NULL;
    f.nwhere = 0;
    CHECK_EQ_INT(pupa_crossref_build(ix, PUPA_UNIT_SEGMENT, "wellbeing/positive", "relationships",
                                     &f, &x), 0);
    COUNT(x.a, 17, 6);
    COUNT(x.b, 31, 9);
    COUNT(x.both, 4, 2);
    COUNT(x.a_not_b, 13, 6);
    COUNT(x.b_not_a, 27, 9);
    COUNT(x.scope, 0, 0);
}

/* ------------------------------------------------------------- streaks */

static const pupa_streak *streak_of(const pupa_streaks *s, const char *p)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->items[i].participant, p))
            return &s->items[i];
    return NULL;
}

static const pupa_count *value_of(const pupa_streaks *s, const char *v)
{
    static const pupa_count none = {9999, 9999};
    for (size_t i = 0; i < s->nvalues; i++)
        if (!strcmp(s->values[i], v))
            return &s->per_value[i];
    return &none;
}

static void test_streaks(pupa_index *ix)
{
    pupa_filter f;
    pupa_filter_init(&f);
    pupa_streaks *s = NULL;
    /* wellbeing/negative by year: P001 2011-12, P002 2011, P003 2011-12,
     * P004 2012-14, P005 2012-13, P006 2011, P007 2012, P008 2013-14,
     * P009 2013-14.  Runs of 2+: P001, P003, P004 (3), P005, P008, P009. */
    pupa_streak_opts o = {"wellbeing/negative", 2, 0, NULL};
    CHECK_EQ_INT(pupa_streaks_find(ix, &o, &f, &s), 0);
    if (s) {
        CHECK_EQ_INT(s->n, 6);
        CHECK_EQ_INT(s->with_term, 9);
        CHECK_EQ_INT(s->with_run, 6);
        CHECK_EQ_STR(s->items[0].participant, "P001"); /* by participant */
        const pupa_streak *p4 = streak_of(s, "P004");
        CHECK(p4 != NULL);
        if (p4) {
            CHECK_EQ_INT(p4->first, 2012);
            CHECK_EQ_INT(p4->last, 2014);
            CHECK_EQ_INT(p4->length, 3);
            CHECK_EQ_INT(p4->nyears, 3);
            CHECK(p4->ngroups == 1 && !strcmp(p4->groups[0], "Female RC"));
        }
        CHECK(streak_of(s, "P002") == NULL); /* 2011 only */
        /* By group: with the term / with a run.  Female SP: P001, P002,
         * P008 / P001, P008; Female SP/RC: P003 / P003; Female RC: P004,
         * P005, P009 / all three; Male SP/RC: P006, P007 / none. */
        CHECK_EQ_INT(s->nvalues, 4);
        CHECK_EQ_INT(value_of(s, "Female SP")->units, 3);
        CHECK_EQ_INT(value_of(s, "Female SP")->individuals, 2);
        CHECK_EQ_INT(value_of(s, "Female SP/RC")->individuals, 1);
        CHECK_EQ_INT(value_of(s, "Female RC")->individuals, 3);
        CHECK_EQ_INT(value_of(s, "Male SP/RC")->units, 2);
        CHECK_EQ_INT(value_of(s, "Male SP/RC")->individuals, 0);
        pupa_streaks_free(s);
    }
    o.min_years = 3; /* P004 alone */
    CHECK_EQ_INT(pupa_streaks_find(ix, &o, &f, &s), 0);
    if (s) {
        CHECK_EQ_INT(s->n, 1);
        CHECK_EQ_INT(s->with_run, 1);
        pupa_streaks_free(s);
    }
    /* Calendar years against interviews.  relationships or push_pull:
     * P001 2013; P002 2012-14; P003 2011-12; P004 2011-12; P005 2012-13;
     * P006 2012 and 2014 (not interviewed in 2013); P007 2012-13; P008
     * 2013-14; P009 2013-14.  Calendar runs of 2+: 7 (not P006); by
     * interviews, P006's 2012 and 2014 are consecutive: 8. */
    pupa_streak_opts o2 = {"relationships,push_pull", 2, 0, "group"};
    CHECK_EQ_INT(pupa_streaks_find(ix, &o2, &f, &s), 0);
    if (s) {
        CHECK_EQ_INT(s->with_term, 9);
        CHECK_EQ_INT(s->with_run, 7);
        CHECK(streak_of(s, "P006") == NULL);
        const pupa_streak *p2 = streak_of(s, "P002");
        CHECK(p2 && p2->length == 3 && p2->first == 2012);
        pupa_streaks_free(s);
    }
    o2.interviews = 1;
    CHECK_EQ_INT(pupa_streaks_find(ix, &o2, &f, &s), 0);
    if (s) {
        CHECK_EQ_INT(s->with_run, 8);
        const pupa_streak *p6 = streak_of(s, "P006");
        CHECK(p6 && p6->first == 2012 && p6->last == 2014 && p6->length == 2);
        CHECK_EQ_INT(value_of(s, "Male SP/RC")->individuals, 2); /* P006 and P007 */
        pupa_streaks_free(s);
    }
    /* The paper's "negative conditions for two or more consecutive years"
     * as only-negative relationships: P008 2013-14 (mother, then father). */
    pupa_streak_opts o3 = {"only:relationships/*/negative", 2, 0, NULL};
    CHECK_EQ_INT(pupa_streaks_find(ix, &o3, &f, &s), 0);
    if (s) {
        CHECK_EQ_INT(s->n, 1);
        CHECK(s->n == 1 && !strcmp(s->items[0].participant, "P008"));
        CHECK_EQ_INT(s->with_term, 4); /* P003, P004, P008, P009 */
        CHECK_EQ_INT(s->nvalues, 3);   /* no Male SP/RC: theirs are positive */
        pupa_streaks_free(s);
    }
    /* A participant who changes group counts under each group of her run.
     * P002: stigma in 2011 (Female SP) and 2012 (Female SP/RC), push_pull
     * in 2012-2014 (Female SP/RC): one run of 4 years, two groups. */
    pupa_streak_opts o4 = {"push_pull,stigma", 1, 0, NULL};
    CHECK_EQ_INT(pupa_streaks_find(ix, &o4, &f, &s), 0);
    if (s) {
        const pupa_streak *p2 = streak_of(s, "P002");
        CHECK(p2 && p2->ngroups == 2 && p2->length == 4);
        pupa_streaks_free(s);
    }
}

/* ------------------------------------------------------------ timeline */

static void test_timeline(pupa_index *ix)
{
    pupa_filter f;
    pupa_filter_init(&f);
    pupa_timeline *t = NULL;
    /* P004, Female RC, 23-26, 2011-2014.  Comments per depth-1 code:
     *   relationships 2011: s3,s4 (spouse+), s5,s6 (in-law-) = 4;
     *                 2012: s1,s2 (spouse-), s5,s6 (in-law-) = 4
     *   violence      2012: s2 (violent toward me) = 1; 2013: s1-s4 = 4
     *   wellbeing     2011: s3,s4,s7,s8 = 4; 2012: s3,s4; 2013: s5,s6;
     *                 2014: s7,s8 (s2 "happiness" is negated) = 2
     *   debt 2013: s5,s6;  resilience 2013: s7,s8; 2014: s3,s4 */
    CHECK_EQ_INT(pupa_timeline_build(ix, "P004", 1, 1, &f, &t), 0);
    if (!t)
        return;
    CHECK_EQ_INT(t->nyears, 4);
    CHECK_EQ_INT(t->nrows, 5);
    CHECK_EQ_INT(t->years[0].year, 2011);
    CHECK_EQ_STR(t->years[3].age, "26");
    CHECK_EQ_STR(t->years[3].group, "Female RC");
    static const char *const rows[] = {"debt", "relationships", "resilience", "violence", "wellbeing"};
    static const uint32_t want[5][4] = {{0, 0, 2, 0}, {4, 4, 0, 0}, {0, 0, 2, 2}, {0, 1, 4, 0}, {4, 2, 2, 2}};
    for (size_t r = 0; r < 5 && r < t->nrows; r++) {
        CHECK_EQ_STR(t->rows[r], rows[r]);
        for (size_t y = 0; y < 4; y++)
            CHECK_EQ_INT(t->cells[r * 4 + y].comments, want[r][y]);
    }
    /* The quote of relationships 2011 is the first hit in document order:
     * s3's ប្តីជួយ (spouse, positive), before s3's សប្បាយចិត្ត. */
    const pupa_timeline_cell *c = &t->cells[1 * 4 + 0];
    CHECK_EQ_STR(c->code, "relationships/spouse_partner/positive");
    CHECK_EQ_INT(c->segment, 3);
    CHECK_EQ_STR(c->doc, "2011/P004_2011.txt");
    CHECK(c->text && c->hit_end - c->hit_start == strlen("ប្តីជួយ") &&
          !memcmp(c->text + c->hit_start, "ប្តីជួយ", strlen("ប្តីជួយ")));
    CHECK(t->cells[0].doc == NULL); /* debt 2011: no comment, no quote */
    pupa_timeline_free(t);
    /* --negated: s2 of 2014 counts, and is the quote of wellbeing 2014. */
    f.negated = 1;
    f.code = "wellbeing";
    CHECK_EQ_INT(pupa_timeline_build(ix, "P004", 1, 1, &f, &t), 0);
    if (t) {
        CHECK_EQ_INT(t->nrows, 1);
        CHECK_EQ_INT(t->cells[3].comments, 3);
        CHECK_EQ_INT(t->cells[3].segment, 2);
        CHECK_EQ_INT(t->cells[3].negated, 1);
        pupa_timeline_free(t);
    }
    /* P006 was not interviewed in 2013: three years.  No quotes asked. */
    pupa_filter_init(&f);
    CHECK_EQ_INT(pupa_timeline_build(ix, "P006", 2, 0, &f, &t), 0);
    if (t) {
        CHECK_EQ_INT(t->nyears, 3);
        CHECK_EQ_INT(t->years[2].year, 2014);
        CHECK(t->nrows > 0 && t->cells[0].doc == NULL);
        pupa_timeline_free(t);
    }
    /* "P00" is a prefix of every participant, not one of them. */
    CHECK_EQ_INT(pupa_timeline_build(ix, "P00", 1, 0, &f, &t), 0);
    if (t) {
        CHECK_EQ_INT(t->nyears, 0);
        pupa_timeline_free(t);
    }
}

/* ------------------------------------------------------- bad arguments */

static void test_bad_arguments(pupa_index *ix)
{
    pupa_filter f;
    pupa_filter_init(&f);
    pupa_table *t = NULL;
    pupa_cooccur *m = NULL;
    pupa_crossref x;
    pupa_streaks *s = NULL;
    pupa_timeline *tl = NULL;
    pupa_dim bad = {PUPA_DIM_CODE, "polarity", 0};
    pupa_table_spec spec = {1, &bad, 1};
    CHECK_EQ_INT(pupa_table_query(ix, &spec, &f, &t), PUPA_EINVAL); /* level 0 */
    spec.ndims = 9;
    CHECK_EQ_INT(pupa_table_query(ix, &spec, &f, &t), PUPA_EINVAL);
    spec = (pupa_table_spec){0, NULL, 0};
    CHECK_EQ_INT(pupa_table_query(ix, &spec, &f, &t), PUPA_EINVAL); /* depth 0 */
    CHECK_EQ_INT(pupa_table_query(NULL, &spec, &f, &t), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_table_build(ix, 1, NULL, &f, &t), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_cooccur_build(ix, 7, 1, &f, &m), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_cooccur_build(ix, PUPA_UNIT_SEGMENT, 0, &f, &m), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_crossref_build(ix, PUPA_UNIT_SEGMENT, "only:", "trust", &f, &x), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_crossref_build(ix, PUPA_UNIT_SEGMENT, "trust", NULL, &f, &x), PUPA_EINVAL);
    pupa_streak_opts o = {"trust", 0, 0, NULL};
    CHECK_EQ_INT(pupa_streaks_find(ix, &o, &f, &s), PUPA_EINVAL);
    o.min_years = 2;
    o.term = "";
    CHECK_EQ_INT(pupa_streaks_find(ix, &o, &f, &s), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_timeline_build(ix, NULL, 1, 0, &f, &tl), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_timeline_build(ix, "P001", 0, 0, &f, &tl), PUPA_EINVAL);
    CHECK(t == NULL && m == NULL && s == NULL && tl == NULL);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_queries CORPORA SOURCE_ROOT [BUILD_ROOT]\n");
        return 2;
    }
    const char *src = argv[2];
    tmp_setup("queries");
    atexit(tmp_cleanup);
    pupa_index *ix = build(src, "tests/data/starter.yml", "sample");
    pupa_index *bx = build(src, "tests/data/behaviour.yml", "behaviour");
    CHECK(ix != NULL && bx != NULL);
    if (!ix || !bx)
        return check_result();
    test_table9(ix);
    test_table11(ix);
    test_table7(bx);
    test_where(ix);
    test_quotes(ix);
    test_quote_paths(ix);
    test_quote_paths_by_code(ix);
    test_cooccur(ix);
    test_crossref(ix);
    test_streaks(ix);
    test_timeline(ix);
    test_bad_arguments(ix);
    pupa_index_close(ix);
    pupa_index_close(bx);
    return check_result();
}
