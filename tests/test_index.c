/*
 * test_index.c: building an index (build.c, index.c) and answering from it
 * (query.c).  A small hand-made corpus and lexicon in a mkdtemp folder:
 *  - statistics and permissions of a fresh build;
 *  - quotes under filters, each quote's file span read back from its file;
 *  - tables by group and by year, cells worked out by hand;
 *  - incremental builds: unchanged (byte-identical data.mdb), changed,
 *    removed files, a changed lexicon;
 *  - bad input files reported and skipped, old versions kept;
 *  - one thread and two threads give the same answers;
 *  - a damaged index never crashes a reader (each case runs in a child
 *    process, so a crash or sanitizer report names its case).
 */
#include "check.h"
#include "pupa.h"

#include <lmdb.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tmpdir.h"

/* tmpdir/rel in a static ring of buffers. */
static const char *tpath(const char *fmt, ...)
{
    static char ring[8][1024];
    static int next;
    char rel[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    char *p = ring[next++ % 8];
    snprintf(p, 1024, "%s/%s", tmpdir, rel);
    return p;
}

static void write_str(const char *path, const char *s) { write_bytes(path, s, strlen(s)); }

static void append_str(const char *path, const char *s)
{
    FILE *f = fopen(path, "ab");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(s, f);
    fclose(f);
}


/* Sets a file's mtime secs seconds after its current one. */
static void bump_mtime(const char *path, int secs)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        exit(1);
    }
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ts[1].tv_sec += secs;
    if (utimensat(AT_FDCWD, path, ts, 0) != 0) {
        perror(path);
        exit(1);
    }
}

static void copy_file(const char *from, const char *to)
{
    size_t n = 0;
    char *b = slurp(from, &n);
    if (!b) {
        perror(from);
        exit(1);
    }
    write_bytes(to, b, n);
    free(b);
}

/* A growable string. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            exit(1);
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void sb_bytes(sbuf *b, const char *p, size_t n)
{
    sb_printf(b, "%zu:", n);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            exit(1);
    }
    if (n)
        memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

#define SB_STR(b, z) ((z) ? sb_bytes((b), (z), strlen(z)) : sb_printf((b), "(null)"))

/* ------------------------------------------------------------ corpus */

/* ម្ដាយ (coeng-da) in the transcript; the lexicon writes ម្តាយ (coeng-ta). */
#define MOTHER_DA "\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8A\xE1\x9E\xB6\xE1\x9E\x99"
#define MOTHER_TA "\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8F\xE1\x9E\xB6\xE1\x9E\x99"
/* ខ្ញុំ ស្រឡាញ់ */
#define KM_I_LOVE                                                                   \
    "\xE1\x9E\x81\xE1\x9F\x92\xE1\x9E\x89\xE1\x9E\xBB\xE1\x9F\x86 "                 \
    "\xE1\x9E\x9F\xE1\x9F\x92\xE1\x9E\x9A\xE1\x9E\xA1\xE1\x9E\xB6\xE1\x9E\x89\xE1\x9F\x8B"
/* ណាស់។ */
#define KM_MUCH "\xE1\x9E\x8E\xE1\x9E\xB6\xE1\x9E\x9F\xE1\x9F\x8B\xE1\x9F\x94"

static const char LEXICON[] = "trust:\n"              /* 1 */
                              "  - trust\n"           /* 2 */
                              "violence:\n"           /* 3 */
                              "  - hit\n"             /* 4 */
                              "  - beat*\n"           /* 5 */
                              "viol:\n"               /* 6 */
                              "  - viola\n"           /* 7 */
                              "debt:\n"               /* 8 */
                              "  lender:\n"           /* 9 */
                              "    - money lender\n"  /* 10 */
                              "family:\n"             /* 11 */
                              "  mother:\n"           /* 12 */
                              "    - " MOTHER_TA "\n"; /* 13 */

/* The same with one more code, family/sister. */
static const char LEXICON2[] = "trust:\n"
                               "  - trust\n"
                               "violence:\n"
                               "  - hit\n"
                               "  - beat*\n"
                               "viol:\n"
                               "  - viola\n"
                               "debt:\n"
                               "  lender:\n"
                               "    - money lender\n"
                               "family:\n"
                               "  mother:\n"
                               "    - " MOTHER_TA "\n"
                               "  sister:\n"
                               "    - sister\n";

/*
 * Hits by hand (counted = not negated):
 *  a.txt P1 2011 girls  seg1: trust, violence(hit), debt/lender     3
 *                       seg2: trust (negated by "not"), viol        2
 *                       seg3: family/mother (Khmer)                 1
 *  b.txt P2 2012 boys   seg1: violence(beat), violence(hit)         2
 *                       seg2: trust (negated by "nobody")           1
 *  c.txt P1 2012 girls  seg1: debt/lender, trust                    2
 *  d.txt P3 2012 girls  seg1: violence(hit)   seg2: viol            2
 *  13 hits, 11 counted, 8 coded segments.  Interviewer turns (with
 *  "trust") are not coded.
 */
static const char FILE_A[] = "---\n"
                             "participant: P1\n"
                             "year: 2011\n"
                             "group: girls\n"
                             "gender: female\n"
                             "age: 12\n"
                             "---\n"
                             "I: Do you trust the staff?\n"
                             "P: Yes, I trust them. My mother was hit by a money lender.\n"
                             "I: And then?\n"
                             "P: I do not trust him. I play the viola.\n"
                             "P: " KM_I_LOVE " " MOTHER_DA " " KM_MUCH "\n";
static const char FILE_B[] = "---\n"
                             "participant: P2\n"
                             "year: 2012\n"
                             "group: boys\n"
                             "gender: male\n"
                             "age: 14\n"
                             "---\n"
                             "P: They beat me and hit me. Violence everywhere.\n"
                             "I: Trust anyone?\n"
                             "P: Nobody I trust.\n";
static const char FILE_C[] = "---\n"
                             "participant: P1\n"
                             "year: 2012\n"
                             "group: girls\n"
                             "gender: female\n"
                             "age: 13\n"
                             "---\n"
                             "I: How are things?\n"
                             "P: The money lender came again. I trust my sister.\n";
static const char FILE_D[] = "---\n"
                             "participant: P3\n"
                             "year: 2012\n"
                             "group: girls\n"
                             "gender: female\n"
                             "age: 15\n"
                             "---\n"
                             "P: Someone hit my friend.\n"
                             "I: Anything else?\n"
                             "P: I play viola too.\n";

static void write_corpus(const char *dir)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/a.txt", dir);
    write_str(p, FILE_A);
    snprintf(p, sizeof p, "%s/b.txt", dir);
    write_str(p, FILE_B);
    snprintf(p, sizeof p, "%s/sub/c.txt", dir);
    write_str(p, FILE_C);
    snprintf(p, sizeof p, "%s/sub/d.txt", dir);
    write_str(p, FILE_D);
}

/* ------------------------------------------------------------ quotes */

typedef struct qset {
    const char *corpus; /* read each quote back from here; NULL: do not */
    sbuf ser;           /* every field of every quote */
    size_t n;
    size_t stop_after;  /* the callback returns 1 after this many; 0 never */
    size_t bad_span;    /* quotes whose file bytes differ from the text */
    /* per-quote summary, "doc|segment|code|matched text|negated" */
    char **sum;
    size_t nsum;
} qset;

static int quote_cb(void *ctx, const pupa_quote *q)
{
    qset *s = ctx;
    s->n++;
    if (q->hit_start > q->hit_end || q->hit_end > q->text_len) {
        s->bad_span++;
        return 1;
    }
    sbuf *b = &s->ser;
    SB_STR(b, q->doc);
    SB_STR(b, q->participant);
    SB_STR(b, q->group);
    SB_STR(b, q->gender);
    SB_STR(b, q->age);
    sb_printf(b, "|%d|%u|", q->year, q->segment);
    SB_STR(b, q->speaker);
    sb_printf(b, "|%d|", q->lang);
    sb_bytes(b, q->text, q->text_len);
    sb_printf(b, "|%llu|%llu|", (unsigned long long)q->seg_start, (unsigned long long)q->seg_end);
    SB_STR(b, q->code);
    SB_STR(b, q->entry);
    sb_printf(b, "|%u|%u|%llu|%llu|%d\n", q->hit_start, q->hit_end,
              (unsigned long long)q->start, (unsigned long long)q->end, q->negated);

    char sum[512];
    snprintf(sum, sizeof sum, "%s|%u|%s|%.*s|%d", q->doc, q->segment, q->code,
             (int)(q->hit_end - q->hit_start), q->text + q->hit_start, q->negated);
    s->sum = realloc(s->sum, (s->nsum + 1) * sizeof *s->sum);
    s->sum[s->nsum++] = strdup(sum);

    if (s->corpus) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", s->corpus, q->doc);
        size_t n = 0;
        char *f = slurp(path, &n);
        int ok = f && q->start <= q->end && q->end <= n &&
                 q->end - q->start == q->hit_end - q->hit_start &&
                 memcmp(f + q->start, q->text + q->hit_start, q->end - q->start) == 0 &&
                 q->seg_start <= q->seg_end && q->seg_end <= n &&
                 q->seg_end - q->seg_start == q->text_len &&
                 memcmp(f + q->seg_start, q->text, q->text_len) == 0;
        if (!ok) {
            fprintf(stderr, "quote %s [%llu,%llu) does not read back as '%.*s'\n", q->doc,
                    (unsigned long long)q->start, (unsigned long long)q->end,
                    (int)(q->hit_end - q->hit_start), q->text + q->hit_start);
            s->bad_span++;
        }
        free(f);
    }
    return s->stop_after && s->n >= s->stop_after;
}

static void qset_free(qset *s)
{
    free(s->ser.s);
    for (size_t i = 0; i < s->nsum; i++)
        free(s->sum[i]);
    free(s->sum);
    memset(s, 0, sizeof *s);
}

/* Runs a query; returns its rc.  The summaries are in s->sum. */
static int run_quotes(pupa_index *ix, const pupa_filter *f, const char *corpus, qset *s)
{
    memset(s, 0, sizeof *s);
    s->corpus = corpus;
    int rc = pupa_quotes(ix, f, quote_cb, s);
    if (rc)
        fprintf(stderr, "pupa_quotes: %d %s\n", rc, pupa_errmsg());
    return rc;
}

/* Checks that a query returns exactly the summaries given, in order. */
#define EXPECT_QUOTES(ix, f, corpus, ...)                                                   \
    expect_quotes(__LINE__, ix, f, corpus, (const char *[]){__VA_ARGS__, NULL})

static void expect_quotes(int line, pupa_index *ix, const pupa_filter *f, const char *corpus,
                          const char **want)
{
    qset s;
    int rc = run_quotes(ix, f, corpus, &s);
    size_t nwant = 0;
    while (want[nwant])
        nwant++;
    int bad = rc != 0 || s.nsum != nwant || s.bad_span != 0;
    for (size_t i = 0; !bad && i < nwant; i++)
        bad = strcmp(s.sum[i], want[i]) != 0;
    if (bad) {
        fprintf(stderr, "%s:%d: quotes differ (rc %d, bad spans %zu)\n  got:\n", __FILE__, line,
                rc, s.bad_span);
        for (size_t i = 0; i < s.nsum; i++)
            fprintf(stderr, "    %s\n", s.sum[i]);
        fprintf(stderr, "  want:\n");
        for (size_t i = 0; i < nwant; i++)
            fprintf(stderr, "    %s\n", want[i]);
        check_failures++;
    }
    qset_free(&s);
}

/* Number of quotes a filter gives (-1 on error), spans checked. */
static long count_quotes(pupa_index *ix, const pupa_filter *f, const char *corpus)
{
    qset s;
    int rc = run_quotes(ix, f, corpus, &s);
    long n = rc ? -1 : (long)s.n;
    CHECK_EQ_INT(s.bad_span, 0);
    qset_free(&s);
    return n;
}

/* Every quote of an index (negated too), serialised. */
static char *all_quotes(pupa_index *ix)
{
    pupa_filter f;
    pupa_filter_init(&f);
    f.negated = 1;
    qset s;
    int rc = run_quotes(ix, &f, NULL, &s);
    CHECK_EQ_INT(rc, 0);
    char *out = s.ser.s ? strdup(s.ser.s) : strdup("");
    qset_free(&s);
    return out;
}

/* ------------------------------------------------------------ tables */

static const pupa_cell *cell(const pupa_table *t, const char *row, const char *col)
{
    for (size_t r = 0; r < t->nrows; r++)
        if (!strcmp(t->rows[r], row))
            for (size_t c = 0; c < t->ncols; c++)
                if (!strcmp(t->cols[c], col))
                    return &t->cells[r * t->ncols + c];
    return NULL;
}

static const pupa_cell *row_total(const pupa_table *t, const char *row)
{
    for (size_t r = 0; r < t->nrows; r++)
        if (!strcmp(t->rows[r], row))
            return &t->row_total[r];
    return NULL;
}

#define EXPECT_CELL(t, row, col, ind, com)                                                  \
    do {                                                                                    \
        const pupa_cell *c_ = cell((t), (row), (col));                                      \
        if (!c_ || c_->individuals != (ind) || c_->comments != (com)) {                      \
            fprintf(stderr, "%s:%d: cell [%s][%s] is %d/%d, want %d/%d\n", __FILE__,        \
                    __LINE__, row, col, c_ ? (int)c_->individuals : -1,                     \
                    c_ ? (int)c_->comments : -1, ind, com);                                 \
            check_failures++;                                                               \
        }                                                                                   \
    } while (0)

#define EXPECT_TOTAL(t, row, ind, com)                                                      \
    do {                                                                                    \
        const pupa_cell *c_ = row_total((t), (row));                                        \
        if (!c_ || c_->individuals != (ind) || c_->comments != (com)) {                      \
            fprintf(stderr, "%s:%d: total [%s] is %d/%d, want %d/%d\n", __FILE__, __LINE__, \
                    row, c_ ? (int)c_->individuals : -1, c_ ? (int)c_->comments : -1, ind,  \
                    com);                                                                   \
            check_failures++;                                                               \
        }                                                                                   \
    } while (0)

static char *table_string(const pupa_table *t)
{
    sbuf b = {0};
    sb_printf(&b, "%zu x %zu\n", t->nrows, t->ncols);
    for (size_t c = 0; c < t->ncols; c++)
        sb_printf(&b, "col %s\n", t->cols[c]);
    for (size_t r = 0; r < t->nrows; r++) {
        sb_printf(&b, "row %s total %u/%u:", t->rows[r], t->row_total[r].individuals,
                  t->row_total[r].comments);
        for (size_t c = 0; c < t->ncols; c++)
            sb_printf(&b, " %u/%u", t->cells[r * t->ncols + c].individuals,
                      t->cells[r * t->ncols + c].comments);
        sb_printf(&b, "\n");
    }
    return b.s;
}

/* Tables of an index under a few settings, serialised together. */
static char *all_tables(pupa_index *ix)
{
    sbuf b = {0};
    static const char *keys[] = {"group", "year", "gender", "participant"};
    for (int neg = 0; neg < 2; neg++)
        for (int depth = 1; depth <= 2; depth++)
            for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
                pupa_filter f;
                pupa_filter_init(&f);
                f.negated = neg;
                pupa_table *t = NULL;
                int rc = pupa_table_build(ix, depth, keys[k], &f, &t);
                CHECK_EQ_INT(rc, 0);
                if (t) {
                    char *s = table_string(t);
                    sb_printf(&b, "%s depth %d neg %d\n%s", keys[k], depth, neg, s);
                    free(s);
                    pupa_table_free(t);
                }
            }
    return b.s;
}

/* ------------------------------------------------------------- build */

typedef struct errlog {
    char **rel, **msg;
    size_t n;
} errlog;

static void on_error(void *ctx, const char *relpath, const char *message)
{
    errlog *e = ctx;
    e->rel = realloc(e->rel, (e->n + 1) * sizeof *e->rel);
    e->msg = realloc(e->msg, (e->n + 1) * sizeof *e->msg);
    e->rel[e->n] = strdup(relpath ? relpath : "(null)");
    e->msg[e->n] = strdup(message ? message : "(null)");
    e->n++;
}

static void errlog_free(errlog *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->rel[i]);
        free(e->msg[i]);
    }
    free(e->rel);
    free(e->msg);
    memset(e, 0, sizeof *e);
}

static int build(const char *corpus, const char *index, const char *lexicon, int threads,
                 pupa_build_stats *st, errlog *log)
{
    pupa_build_opts o;
    memset(&o, 0, sizeof o);
    o.lexicon = lexicon;
    o.threads = threads;
    o.on_file_error = on_error;
    errlog local = {0};
    o.ctx = log ? log : &local;
    memset(st, 0xAB, sizeof *st);
    int rc = pupa_index_build(corpus, index, &o, st);
    if (rc)
        fprintf(stderr, "pupa_index_build(%s): %d %s\n", corpus, rc, pupa_errmsg());
    for (size_t i = 0; !log && i < local.n; i++)
        fprintf(stderr, "unexpected file error: %s: %s\n", local.rel[i], local.msg[i]);
    if (!log && local.n)
        check_failures++;
    errlog_free(&local);
    return rc;
}

static pupa_index *open_index(const char *dir)
{
    pupa_index *ix = NULL;
    int rc = pupa_index_open(&ix, dir);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        fprintf(stderr, "pupa_index_open(%s): %s\n", dir, pupa_errmsg());
    return ix;
}

static int mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* ------------------------------------------------- build and query */

static char lexpath[1024], lexpath2[1024];

static void test_build_and_query(const char *corpus, const char *index)
{
    pupa_build_stats st;
    mode_t old = umask(0);
    int rc = build(corpus, index, lexpath, 2, &st, NULL);
    umask(old);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        return;
    CHECK_EQ_INT(st.files_seen, 4);
    CHECK_EQ_INT(st.files_added, 4);
    CHECK_EQ_INT(st.files_changed, 0);
    CHECK_EQ_INT(st.files_removed, 0);
    CHECK_EQ_INT(st.files_unchanged, 0);
    CHECK_EQ_INT(st.files_failed, 0);
    CHECK_EQ_INT(st.docs, 4);
    CHECK_EQ_INT(st.segments, 8);
    CHECK_EQ_INT(st.hits, 13);

    /* Owner only, whatever the umask. */
    CHECK_EQ_INT(mode_of(index), 0700);
    char p[1100];
    snprintf(p, sizeof p, "%s/data.mdb", index);
    CHECK_EQ_INT(mode_of(p), 0600);
    snprintf(p, sizeof p, "%s/lock.mdb", index);
    CHECK_EQ_INT(mode_of(p), 0600);

    pupa_index *ix = open_index(index);
    if (!ix)
        return;
    pupa_filter f;

    /* Everything counted, in participant, year, doc, segment, start order. */
    pupa_filter_init(&f);
    EXPECT_QUOTES(ix, &f, corpus, "a.txt|1|trust|trust|0", "a.txt|1|violence|hit|0",
                  "a.txt|1|debt/lender|money lender|0", "a.txt|2|viol|viola|0",
                  "a.txt|3|family/mother|" MOTHER_DA "|0", "sub/c.txt|1|debt/lender|money lender|0",
                  "sub/c.txt|1|trust|trust|0", "b.txt|1|violence|beat|0",
                  "b.txt|1|violence|hit|0", "sub/d.txt|1|violence|hit|0",
                  "sub/d.txt|2|viol|viola|0");
    f.negated = 1;
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 13);

    /* Code prefixes on "/" boundaries: viol is not violence. */
    pupa_filter_init(&f);
    f.code = "viol";
    EXPECT_QUOTES(ix, &f, corpus, "a.txt|2|viol|viola|0", "sub/d.txt|2|viol|viola|0");
    f.code = "violence";
    EXPECT_QUOTES(ix, &f, corpus, "a.txt|1|violence|hit|0", "b.txt|1|violence|beat|0",
                  "b.txt|1|violence|hit|0", "sub/d.txt|1|violence|hit|0");
    f.code = "violence/";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 4);
    f.code = "vio";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 0);
    f.code = "debt";
    EXPECT_QUOTES(ix, &f, corpus, "a.txt|1|debt/lender|money lender|0",
                  "sub/c.txt|1|debt/lender|money lender|0");
    f.code = "debt/lend";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 0);
    f.code = "family/mother";
    EXPECT_QUOTES(ix, &f, corpus, "a.txt|3|family/mother|" MOTHER_DA "|0");
    f.code = "nosuchcode";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 0);

    /* Negated hits only when asked for. */
    f.code = "trust";
    EXPECT_QUOTES(ix, &f, corpus, "a.txt|1|trust|trust|0", "sub/c.txt|1|trust|trust|0");
    f.negated = 1;
    EXPECT_QUOTES(ix, &f, corpus, "a.txt|1|trust|trust|0", "a.txt|2|trust|trust|1",
                  "sub/c.txt|1|trust|trust|0", "b.txt|2|trust|trust|1");

    /* Year ranges, with and without a code. */
    pupa_filter_init(&f);
    f.year_min = 2012;
    f.year_max = 2012;
    EXPECT_QUOTES(ix, &f, corpus, "sub/c.txt|1|debt/lender|money lender|0",
                  "sub/c.txt|1|trust|trust|0", "b.txt|1|violence|beat|0",
                  "b.txt|1|violence|hit|0", "sub/d.txt|1|violence|hit|0",
                  "sub/d.txt|2|viol|viola|0");
    f.code = "trust";
    f.negated = 1;
    EXPECT_QUOTES(ix, &f, corpus, "sub/c.txt|1|trust|trust|0", "b.txt|2|trust|trust|1");
    pupa_filter_init(&f);
    f.year_max = 2011;
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 5);
    f.code = "violence";
    EXPECT_QUOTES(ix, &f, corpus, "a.txt|1|violence|hit|0");
    pupa_filter_init(&f);
    f.year_min = 2013;
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 0);

    /* Participant, with and without a code. */
    pupa_filter_init(&f);
    f.participant = "P1";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 7);
    f.code = "trust";
    f.year_max = 2011;
    EXPECT_QUOTES(ix, &f, corpus, "a.txt|1|trust|trust|0");
    pupa_filter_init(&f);
    f.participant = "P3";
    EXPECT_QUOTES(ix, &f, corpus, "sub/d.txt|1|violence|hit|0", "sub/d.txt|2|viol|viola|0");
    f.participant = "P";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 0);
    f.participant = "P10";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 0);

    /* Group, gender, age, language. */
    pupa_filter_init(&f);
    f.group = "boys";
    EXPECT_QUOTES(ix, &f, corpus, "b.txt|1|violence|beat|0", "b.txt|1|violence|hit|0");
    f.negated = 1;
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 3);
    pupa_filter_init(&f);
    f.group = "girls";
    f.code = "viol";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 2);
    pupa_filter_init(&f);
    f.gender = "male";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 2);
    pupa_filter_init(&f);
    f.age_min = 13;
    f.age_max = 14;
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 4); /* c (13) and b (14) */
    pupa_filter_init(&f);
    f.lang = PUPA_LANG_KM;
    EXPECT_QUOTES(ix, &f, corpus, "a.txt|3|family/mother|" MOTHER_DA "|0");
    f.lang = PUPA_LANG_EN;
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 10);
    pupa_filter_init(&f);
    f.speaker = "I";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 0);
    f.speaker = "P";
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 11);

    /* limit, and a callback that stops. */
    pupa_filter_init(&f);
    f.limit = 3;
    CHECK_EQ_INT(count_quotes(ix, &f, corpus), 3);
    {
        pupa_filter_init(&f);
        qset s;
        memset(&s, 0, sizeof s);
        s.stop_after = 2;
        CHECK_EQ_INT(pupa_quotes(ix, &f, quote_cb, &s), 0);
        CHECK_EQ_INT(s.n, 2);
        qset_free(&s);
    }

    /* Field details of one quote. */
    {
        pupa_filter_init(&f);
        f.code = "family";
        qset s;
        CHECK_EQ_INT(run_quotes(ix, &f, corpus, &s), 0);
        CHECK_EQ_INT(s.n, 1);
        char want[2048];
        const char *text = KM_I_LOVE " " MOTHER_DA " " KM_MUCH;
        const char *seg = strstr(FILE_A, text);
        size_t seg_start = (size_t)(seg - FILE_A);
        size_t hit = (size_t)(strstr(text, MOTHER_DA) - text);
        char entry[1100];
        snprintf(entry, sizeof entry, "%s:13", lexpath);
        snprintf(want, sizeof want,
                 "5:a.txt2:P15:girls6:female2:12|2011|3|1:P|%d|%zu:%s|%zu|%zu|%zu:family/mother"
                 "%zu:%s|%zu|%zu|%zu|%zu|0\n",
                 PUPA_LANG_KM, strlen(text), text, seg_start, seg_start + strlen(text),
                 strlen("family/mother"), strlen(entry), entry, hit, hit + strlen(MOTHER_DA),
                 seg_start + hit, seg_start + hit + strlen(MOTHER_DA));
        if (!s.ser.s || strcmp(s.ser.s, want) != 0) {
            fprintf(stderr, "%s:%d: quote fields\n  got:  %s  want: %s", __FILE__, __LINE__,
                    s.ser.s ? s.ser.s : "(none)\n", want);
            check_failures++;
        }
        qset_free(&s);
    }

    /* Tables by hand. */
    pupa_table *t = NULL;
    pupa_filter_init(&f);
    rc = pupa_table_build(ix, 1, "group", &f, &t);
    CHECK_EQ_INT(rc, 0);
    if (t) {
        CHECK_EQ_INT(t->nrows, 5);
        CHECK_EQ_INT(t->ncols, 2);
        if (t->nrows == 5) {
            CHECK_EQ_STR(t->rows[0], "debt");
            CHECK_EQ_STR(t->rows[1], "family");
            CHECK_EQ_STR(t->rows[2], "trust");
            CHECK_EQ_STR(t->rows[3], "viol");
            CHECK_EQ_STR(t->rows[4], "violence");
        }
        if (t->ncols == 2) {
            CHECK_EQ_STR(t->cols[0], "boys");
            CHECK_EQ_STR(t->cols[1], "girls");
        }
        EXPECT_CELL(t, "trust", "girls", 1, 2);    /* P1 in a and c */
        EXPECT_CELL(t, "trust", "boys", 0, 0);     /* b's trust is negated */
        EXPECT_CELL(t, "violence", "girls", 2, 2); /* P1 (a), P3 (d) */
        EXPECT_CELL(t, "violence", "boys", 1, 1);  /* two hits, one turn */
        EXPECT_CELL(t, "debt", "girls", 1, 2);
        EXPECT_CELL(t, "viol", "girls", 2, 2);
        EXPECT_CELL(t, "family", "girls", 1, 1);
        EXPECT_TOTAL(t, "violence", 3, 3);
        EXPECT_TOTAL(t, "trust", 1, 2);
        pupa_table_free(t);
        t = NULL;
    }
    rc = pupa_table_build(ix, 1, "year", &f, &t);
    CHECK_EQ_INT(rc, 0);
    if (t) {
        CHECK_EQ_INT(t->ncols, 2);
        if (t->ncols == 2) {
            CHECK_EQ_STR(t->cols[0], "2011");
            CHECK_EQ_STR(t->cols[1], "2012");
        }
        EXPECT_CELL(t, "trust", "2011", 1, 1);
        EXPECT_CELL(t, "trust", "2012", 1, 1);
        EXPECT_CELL(t, "violence", "2011", 1, 1);
        EXPECT_CELL(t, "violence", "2012", 2, 2);
        EXPECT_CELL(t, "viol", "2012", 1, 1);
        EXPECT_CELL(t, "debt", "2011", 1, 1);
        EXPECT_CELL(t, "debt", "2012", 1, 1);
        EXPECT_TOTAL(t, "trust", 1, 2);
        EXPECT_TOTAL(t, "debt", 1, 2);
        pupa_table_free(t);
        t = NULL;
    }
    f.negated = 1;
    rc = pupa_table_build(ix, 1, "year", &f, &t);
    CHECK_EQ_INT(rc, 0);
    if (t) {
        EXPECT_CELL(t, "trust", "2011", 1, 2); /* a's two turns */
        EXPECT_CELL(t, "trust", "2012", 2, 2); /* P1 (c), P2 (b) */
        EXPECT_TOTAL(t, "trust", 2, 4);
        pupa_table_free(t);
        t = NULL;
    }
    pupa_filter_init(&f);
    f.code = "violence";
    rc = pupa_table_build(ix, 2, "group", &f, &t);
    CHECK_EQ_INT(rc, 0);
    if (t) {
        CHECK_EQ_INT(t->nrows, 1);
        EXPECT_CELL(t, "violence", "boys", 1, 1);
        EXPECT_CELL(t, "violence", "girls", 2, 2);
        pupa_table_free(t);
        t = NULL;
    }
    pupa_filter_init(&f);
    rc = pupa_table_build(ix, 2, "group", &f, &t);
    CHECK_EQ_INT(rc, 0);
    if (t) {
        EXPECT_CELL(t, "debt/lender", "girls", 1, 2);
        EXPECT_CELL(t, "family/mother", "girls", 1, 1);
        pupa_table_free(t);
        t = NULL;
    }
    /* a key no document has: one column "(none)" */
    rc = pupa_table_build(ix, 1, "setting", &f, &t);
    CHECK_EQ_INT(rc, 0);
    if (t) {
        CHECK_EQ_INT(t->ncols, 1);
        EXPECT_CELL(t, "violence", "(none)", 3, 3);
        pupa_table_free(t);
        t = NULL;
    }

    /* Bad arguments. */
    CHECK_EQ_INT(pupa_quotes(NULL, &f, quote_cb, NULL), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_quotes(ix, NULL, quote_cb, NULL), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_quotes(ix, &f, NULL, NULL), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_table_build(ix, 0, "group", &f, &t), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_table_build(ix, 1, NULL, &f, &t), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_table_build(NULL, 1, "group", &f, &t), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_table_build(ix, 1, "group", NULL, &t), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_table_build(ix, 1, "group", &f, NULL), PUPA_EINVAL);
    pupa_table_free(NULL);
    pupa_index_close(ix);
    pupa_index_close(NULL);

    pupa_build_opts o;
    memset(&o, 0, sizeof o);
    o.lexicon = lexpath;
    CHECK_EQ_INT(pupa_index_build(NULL, index, &o, &st), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_index_build(corpus, NULL, &o, &st), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_index_build(corpus, index, NULL, &st), PUPA_EINVAL);
    o.lexicon = NULL;
    CHECK_EQ_INT(pupa_index_build(corpus, index, &o, &st), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_index_open(NULL, index), PUPA_EINVAL);
    pupa_index *none = (pupa_index *)1;
    CHECK_EQ_INT(pupa_index_open(&none, NULL), PUPA_EINVAL);
}

/* ------------------------------------------------------- incremental */

static void test_incremental(const char *corpus, const char *index)
{
    char data[1024];
    snprintf(data, sizeof data, "%s/data.mdb", index);
    pupa_build_stats st;

    /* Unchanged: nothing read, nothing written. */
    size_t n0 = 0, n1 = 0;
    char *before = slurp(data, &n0);
    CHECK(before != NULL);
    CHECK_EQ_INT(build(corpus, index, lexpath, 2, &st, NULL), 0);
    CHECK_EQ_INT(st.files_seen, 4);
    CHECK_EQ_INT(st.files_unchanged, 4);
    CHECK_EQ_INT(st.files_added, 0);
    CHECK_EQ_INT(st.files_changed, 0);
    CHECK_EQ_INT(st.files_removed, 0);
    CHECK_EQ_INT(st.files_failed, 0);
    CHECK_EQ_INT(st.hits, 0);
    char *after = slurp(data, &n1);
    CHECK(after != NULL);
    CHECK_EQ_INT(n0, n1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);

    /* A changed file: one new hit, its old hits not duplicated. */
    const char *c = tpath("c1/sub/c.txt");
    append_str(c, "P: He hit me again.\n");
    bump_mtime(c, 10);
    CHECK_EQ_INT(build(corpus, index, lexpath, 2, &st, NULL), 0);
    CHECK_EQ_INT(st.files_changed, 1);
    CHECK_EQ_INT(st.files_unchanged, 3);
    CHECK_EQ_INT(st.files_added, 0);
    CHECK_EQ_INT(st.files_removed, 0);
    CHECK_EQ_INT(st.segments, 2);
    CHECK_EQ_INT(st.hits, 3);
    pupa_index *ix = open_index(index);
    if (ix) {
        pupa_filter f;
        pupa_filter_init(&f);
        f.participant = "P1";
        f.year_min = 2012;
        EXPECT_QUOTES(ix, &f, corpus, "sub/c.txt|1|debt/lender|money lender|0",
                      "sub/c.txt|1|trust|trust|0", "sub/c.txt|2|violence|hit|0");
        pupa_filter_init(&f);
        f.code = "violence";
        EXPECT_QUOTES(ix, &f, corpus, "a.txt|1|violence|hit|0", "sub/c.txt|2|violence|hit|0",
                      "b.txt|1|violence|beat|0", "b.txt|1|violence|hit|0",
                      "sub/d.txt|1|violence|hit|0");
        pupa_filter_init(&f);
        f.negated = 1;
        CHECK_EQ_INT(count_quotes(ix, &f, corpus), 14);
        pupa_table *t = NULL;
        pupa_filter_init(&f);
        CHECK_EQ_INT(pupa_table_build(ix, 1, "year", &f, &t), 0);
        if (t) {
            EXPECT_CELL(t, "violence", "2012", 3, 3); /* P1 (c), P2, P3 */
            EXPECT_CELL(t, "trust", "2012", 1, 1);
            EXPECT_TOTAL(t, "violence", 3, 4);
            pupa_table_free(t);
        }
        pupa_index_close(ix);
    }

    /* A removed file: its quotes are gone. */
    CHECK_EQ_INT(remove(tpath("c1/sub/d.txt")), 0);
    CHECK_EQ_INT(build(corpus, index, lexpath, 2, &st, NULL), 0);
    CHECK_EQ_INT(st.files_seen, 3);
    CHECK_EQ_INT(st.files_removed, 1);
    CHECK_EQ_INT(st.files_unchanged, 3);
    CHECK_EQ_INT(st.files_added, 0);
    CHECK_EQ_INT(st.files_changed, 0);
    if ((ix = open_index(index))) {
        pupa_filter f;
        pupa_filter_init(&f);
        f.participant = "P3";
        f.negated = 1;
        CHECK_EQ_INT(count_quotes(ix, &f, corpus), 0);
        pupa_filter_init(&f);
        f.code = "viol";
        EXPECT_QUOTES(ix, &f, corpus, "a.txt|2|viol|viola|0");
        pupa_filter_init(&f);
        f.negated = 1;
        CHECK_EQ_INT(count_quotes(ix, &f, corpus), 12);
        pupa_table *t = NULL;
        pupa_filter_init(&f);
        CHECK_EQ_INT(pupa_table_build(ix, 1, "group", &f, &t), 0);
        if (t) {
            EXPECT_CELL(t, "viol", "girls", 1, 1);
            EXPECT_CELL(t, "violence", "girls", 1, 2); /* P1 in a and c */
            pupa_table_free(t);
        }
        pupa_index_close(ix);
    }

    /* A changed lexicon: everything coded again. */
    CHECK_EQ_INT(build(corpus, index, lexpath2, 2, &st, NULL), 0);
    CHECK_EQ_INT(st.files_seen, 3);
    CHECK_EQ_INT(st.files_added, 3);
    CHECK_EQ_INT(st.files_unchanged, 0);
    CHECK_EQ_INT(st.files_changed, 0);
    CHECK_EQ_INT(st.files_removed, 0);
    CHECK_EQ_INT(st.segments, 7);
    CHECK_EQ_INT(st.hits, 13);
    if ((ix = open_index(index))) {
        pupa_filter f;
        pupa_filter_init(&f);
        f.code = "family/sister";
        EXPECT_QUOTES(ix, &f, corpus, "sub/c.txt|1|family/sister|sister|0");
        pupa_filter_init(&f);
        f.negated = 1;
        CHECK_EQ_INT(count_quotes(ix, &f, corpus), 13);
        f.code = "trust";
        CHECK_EQ_INT(count_quotes(ix, &f, corpus), 4);
        pupa_index_close(ix);
    }
    /* and unchanged again after that */
    CHECK_EQ_INT(build(corpus, index, lexpath2, 2, &st, NULL), 0);
    CHECK_EQ_INT(st.files_unchanged, 3);
    CHECK_EQ_INT(st.files_added + st.files_changed + st.files_removed, 0);
}

/* --------------------------------------------------------- bad input */

/* msg has "name:LINE: byte N:" */
static int has_name_line_byte(const char *msg, const char *name)
{
    const char *p = strstr(msg, name);
    if (!p || p[strlen(name)] != ':')
        return 0;
    p += strlen(name) + 1;
    if (*p < '1' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    if (strncmp(p, ": byte ", 7) != 0)
        return 0;
    p += 7;
    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    return *p == ':';
}

static void test_bad_input(const char *corpus, const char *index)
{
    write_corpus(corpus);
    static const char bad_utf8[] = "---\n"
                                   "participant: P8\n"
                                   "year: 2011\n"
                                   "---\n"
                                   "P: fine words\n"
                                   "P: caf\xFF hit\n";
    static const char no_participant[] = "---\n"
                                         "year: 2012\n"
                                         "group: boys\n"
                                         "---\n"
                                         "P: hit me\n";
    char p[1100];
    snprintf(p, sizeof p, "%s/e_bad.txt", corpus);
    write_str(p, bad_utf8);
    snprintf(p, sizeof p, "%s/sub/f_nopart.txt", corpus);
    write_str(p, no_participant);

    pupa_build_stats st;
    errlog log = {0};
    int rc = build(corpus, index, lexpath, 2, &st, &log);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(st.files_seen, 6);
    CHECK_EQ_INT(st.files_failed, 2);
    CHECK_EQ_INT(st.files_added, 4);
    CHECK_EQ_INT(st.hits, 13);
    CHECK_EQ_INT(log.n, 2);
    int seen_utf8 = 0, seen_part = 0;
    for (size_t i = 0; i < log.n; i++) {
        if (!strcmp(log.rel[i], "e_bad.txt")) {
            seen_utf8++;
            char want[128];
            size_t off = (size_t)(strchr(bad_utf8, '\xFF') - bad_utf8);
            snprintf(want, sizeof want, "e_bad.txt:6: byte %zu: ", off);
            if (!strstr(log.msg[i], want)) {
                fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__,
                        log.msg[i], want);
                check_failures++;
            }
            CHECK(has_name_line_byte(log.msg[i], "e_bad.txt"));
        } else if (!strcmp(log.rel[i], "sub/f_nopart.txt")) {
            seen_part++;
            CHECK(has_name_line_byte(log.msg[i], "f_nopart.txt"));
            CHECK(strstr(log.msg[i], "participant") != NULL);
        } else {
            fprintf(stderr, "unexpected file error %s: %s\n", log.rel[i], log.msg[i]);
            check_failures++;
        }
    }
    CHECK_EQ_INT(seen_utf8, 1);
    CHECK_EQ_INT(seen_part, 1);
    errlog_free(&log);

    pupa_index *ix = open_index(index);
    char *a_quotes = NULL;
    if (ix) {
        pupa_filter f;
        pupa_filter_init(&f);
        f.negated = 1;
        CHECK_EQ_INT(count_quotes(ix, &f, corpus), 13);
        f.participant = "P8";
        CHECK_EQ_INT(count_quotes(ix, &f, corpus), 0);
        pupa_filter_init(&f);
        f.participant = "P1";
        f.year_max = 2011;
        f.negated = 1;
        qset s;
        CHECK_EQ_INT(run_quotes(ix, &f, corpus, &s), 0);
        CHECK_EQ_INT(s.n, 6);
        a_quotes = s.ser.s ? strdup(s.ser.s) : NULL;
        qset_free(&s);
        pupa_index_close(ix);
    }

    /* A good file turned bad keeps its old version in the index. */
    snprintf(p, sizeof p, "%s/a.txt", corpus);
    append_str(p, "P: more \xC3\x28 hit text\n");
    bump_mtime(p, 10);
    rc = build(corpus, index, lexpath, 2, &st, &log);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(st.files_failed, 3);
    CHECK_EQ_INT(st.files_unchanged, 3);
    CHECK_EQ_INT(st.files_changed, 0);
    CHECK_EQ_INT(st.files_added, 0);
    int seen_a = 0;
    for (size_t i = 0; i < log.n; i++)
        if (!strcmp(log.rel[i], "a.txt")) {
            seen_a++;
            CHECK(has_name_line_byte(log.msg[i], "a.txt"));
            CHECK(strstr(log.msg[i], "a.txt:13: byte ") != NULL);
        }
    CHECK_EQ_INT(seen_a, 1);
    errlog_free(&log);
    if ((ix = open_index(index))) {
        pupa_filter f;
        pupa_filter_init(&f);
        f.participant = "P1";
        f.year_max = 2011;
        f.negated = 1;
        qset s;
        /* the file grew at its end only: old spans still read back */
        CHECK_EQ_INT(run_quotes(ix, &f, corpus, &s), 0);
        CHECK_EQ_INT(s.n, 6);
        CHECK(a_quotes && s.ser.s && strcmp(a_quotes, s.ser.s) == 0);
        qset_free(&s);
        pupa_filter_init(&f);
        f.negated = 1;
        CHECK_EQ_INT(count_quotes(ix, &f, corpus), 13);
        pupa_index_close(ix);
    }
    free(a_quotes);
}

/* ----------------------------------------------------------- threads */

/* More files than two batches of BATCH_FILES (256, build.c), so the
 * writer's batches and its in-flight slots are all used and reused. */
enum { BIG_FILES = 600 };

static void write_big_corpus(const char *dir)
{
    write_corpus(dir);
    static const char *groups[] = {"girls", "boys", "staff"};
    static const char *words[] = {"trust", "hit", "beaten", "viola", "money lender", "never trust",
                                  MOTHER_DA, "violence", "lender", "nobody hit"};
    for (int i = 0; i < BIG_FILES; i++) {
        sbuf b = {0};
        sb_printf(&b, "---\nparticipant: G%02d\nyear: %d\ngroup: %s\ngender: %s\nage: %d\n---\n",
                  i % 7, 2010 + i % 4, groups[i % 3], i % 2 ? "male" : "female", 10 + i % 9);
        for (int t = 0; t < 1 + i % 5; t++) {
            sb_printf(&b, "I: question %d about trust?\n", t);
            sb_printf(&b, "P: turn %d says %s and %s. ", t, words[(i + t) % 10],
                      words[(i * 3 + t * 7) % 10]);
            if ((i + t) % 3 == 0)
                sb_printf(&b, KM_I_LOVE " " MOTHER_DA " " KM_MUCH);
            sb_printf(&b, "\n");
        }
        char p[1100];
        snprintf(p, sizeof p, "%s/gen/%c/g%03d.txt", dir, 'a' + i % 3, i);
        write_str(p, b.s);
        free(b.s);
    }
}

static void test_threads(const char *corpus, const char *ix1dir, const char *ix2dir)
{
    write_big_corpus(corpus);
    pupa_build_stats s1, s2;
    CHECK_EQ_INT(build(corpus, ix1dir, lexpath, 1, &s1, NULL), 0);
    CHECK_EQ_INT(build(corpus, ix2dir, lexpath, 2, &s2, NULL), 0);
    CHECK_EQ_INT(s1.files_added, BIG_FILES + 4);
    CHECK_EQ_INT(s2.files_added, BIG_FILES + 4);
    CHECK_EQ_INT(s1.segments, s2.segments);
    CHECK_EQ_INT(s1.hits, s2.hits);
    CHECK_EQ_INT(s1.docs, s2.docs);
    CHECK(s1.hits > 100);
    pupa_index *a = open_index(ix1dir), *b = open_index(ix2dir);
    if (a && b) {
        char *qa = all_quotes(a), *qb = all_quotes(b);
        CHECK(strlen(qa) > 1000);
        CHECK(strcmp(qa, qb) == 0);
        /* the quotes are the corpus's: one line per hit */
        size_t lines = 0;
        for (const char *p = qa; (p = strchr(p, '\n')); p++)
            lines++;
        CHECK(lines >= s1.hits);
        free(qa);
        free(qb);
        char *ta = all_tables(a), *tb = all_tables(b);
        CHECK(ta && tb && strcmp(ta, tb) == 0);
        free(ta);
        free(tb);
        /* every quote reads back from its file */
        pupa_filter f;
        pupa_filter_init(&f);
        f.negated = 1;
        CHECK_EQ_INT(count_quotes(a, &f, corpus), (long)s1.hits);
    }
    pupa_index_close(a);
    pupa_index_close(b);
    /* Batches and the order of writes do not depend on the thread count:
     * one thread and two write the very same bytes. */
    char p1[1100], p2[1100];
    snprintf(p1, sizeof p1, "%s/data.mdb", ix1dir);
    snprintf(p2, sizeof p2, "%s/data.mdb", ix2dir);
    size_t n1 = 0, n2 = 0;
    char *d1 = slurp(p1, &n1), *d2 = slurp(p2, &n2);
    CHECK(d1 && d2 && n1 == n2 && memcmp(d1, d2, n1) == 0);
    free(d1);
    free(d2);
}

/* ------------------------------------------------------- corruption */

static int touch_quote(void *ctx, const pupa_quote *q)
{
    size_t *sum = ctx;
    const char *strs[] = {q->doc, q->participant, q->group, q->gender, q->age,
                          q->speaker, q->code, q->entry};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        if (strs[i])
            *sum += strlen(strs[i]);
    if (q->hit_start > q->hit_end || q->hit_end > q->text_len)
        _exit(3); /* the engine promised bounds-checked hits */
    for (size_t i = 0; i < q->text_len; i++)
        *sum += (unsigned char)q->text[i];
    return 0;
}

/* Opens and queries the index in dir; exits 0 unless something broke a
 * promise (a positive return, a crash, which the parent sees, or, when
 * expect / expect_table / expect_turns is non-zero, an unfiltered query,
 * an unfiltered table (documents and postings only) or a table by language
 * (which reads every turn with a posting) that does not return it). */
static void probe_child(const char *dir, int expect, int expect_table, int expect_turns)
{
    alarm(120);
    pupa_index *ix = (pupa_index *)1;
    int rc = pupa_index_open(&ix, dir);
    if (rc) {
        if (rc > 0 || ix != NULL)
            _exit(4);
        if (expect && rc != expect)
            _exit(10);
        _exit(0);
    }
    size_t sum = 0;
    for (int k = 0; k < 8; k++) {
        pupa_filter f;
        pupa_filter_init(&f);
        f.negated = k & 1;
        if (k == 2) f.code = "violence";
        if (k == 3) f.code = "";
        if (k == 4) f.participant = "G01";
        if (k == 5) { f.year_min = 2011; f.year_max = 2012; f.code = "trust"; }
        if (k == 6) f.lang = PUPA_LANG_KM;
        if (k == 7) { f.participant = "P1"; f.code = "debt"; }
        rc = pupa_quotes(ix, &f, touch_quote, &sum);
        if (rc > 0)
            _exit(5);
        if (expect && k < 2 && rc != expect) {
            fprintf(stderr, "quotes (negated %d) returned %d, want %d\n", k, rc, expect);
            _exit(8);
        }
        static const char *keys[] = {"group", "year", "participant", "age"};
        for (int d = 1; d <= 3; d++) {
            pupa_table *t = NULL;
            rc = pupa_table_build(ix, d, keys[(k + d) % 4], &f, &t);
            if (rc > 0 || (rc < 0 && t != NULL))
                _exit(6);
            if (expect_table && k < 2 && rc != expect_table) {
                fprintf(stderr, "table (depth %d) returned %d, want %d\n", d, rc, expect_table);
                _exit(9);
            }
            if (expect_turns && k == 6 && rc != expect_turns) {
                fprintf(stderr, "table by language (depth %d) returned %d, want %d\n", d, rc,
                        expect_turns);
                _exit(11);
            }
            if (t) {
                for (size_t r = 0; r < t->nrows; r++) {
                    sum += strlen(t->rows[r]) + t->row_total[r].comments;
                    for (size_t c = 0; c < t->ncols; c++)
                        sum += t->cells[r * t->ncols + c].individuals;
                }
                for (size_t c = 0; c < t->ncols; c++)
                    sum += strlen(t->cols[c]);
                pupa_table_free(t);
            }
        }
    }
    pupa_index_close(ix);
    _exit(sum == (size_t)-1 ? 7 : 0);
}

/* Runs probe_child in a child process; CHECK fails naming the case. */
static void probe(const char *dir, const char *what, int expect, int expect_table,
                  int expect_turns)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        check_failures++;
        return;
    }
    if (pid == 0)
        probe_child(dir, expect, expect_table, expect_turns);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "%s:%d: damaged index (%s): reader killed by signal %d (%s)\n", __FILE__,
                __LINE__, what, WTERMSIG(status), strsignal(WTERMSIG(status)));
        check_failures++;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s:%d: damaged index (%s): reader exited %d\n", __FILE__, __LINE__, what,
                WEXITSTATUS(status));
        check_failures++;
    }
}

/* Writes blen bytes at rel from every occurrence of needle in buf (LMDB
 * may keep stale copies of a record in free pages); returns the count. */
static size_t patch_all(char *buf, size_t n, const char *needle, size_t nlen, long rel,
                        const void *bytes, size_t blen)
{
    size_t count = 0;
    for (size_t i = 0; i + nlen <= n; i++) {
        if (memcmp(buf + i, needle, nlen) != 0)
            continue;
        long at = (long)i + rel;
        if (at < 0 || (size_t)at + blen > n)
            continue;
        memcpy(buf + at, bytes, blen);
        count++;
    }
    return count;
}

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 33;
}

/* The participants database of an index, open for writing through LMDB
 * itself, to damage it where pupa's seal cannot see (sealed again after). */
typedef struct participant_keys {
    MDB_env *env;
    MDB_txn *txn;
    MDB_cursor *cur;
} participant_keys;

static int parts_open(participant_keys *pk, const char *dir)
{
    MDB_dbi parts;
    memset(pk, 0, sizeof *pk);
    CHECK_EQ_INT(mdb_env_create(&pk->env), 0);
    mdb_env_set_maxdbs(pk->env, 8);
    mdb_env_set_mapsize(pk->env, (size_t)1 << 30);
    int ok = mdb_env_open(pk->env, dir, 0, 0600) == 0 &&
             mdb_txn_begin(pk->env, NULL, 0, &pk->txn) == 0 &&
             mdb_dbi_open(pk->txn, "participants", 0, &parts) == 0 &&
             mdb_cursor_open(pk->txn, parts, &pk->cur) == 0;
    CHECK(ok);
    if (!ok) {
        if (pk->txn)
            mdb_txn_abort(pk->txn);
        mdb_env_close(pk->env);
    }
    return ok;
}

static void parts_commit(participant_keys *pk)
{
    mdb_cursor_close(pk->cur);
    CHECK_EQ_INT(mdb_txn_commit(pk->txn), 0);
    mdb_env_close(pk->env);
}

static void test_corrupt(const char *good)
{
    char src_data[1100], src_lock[1100], src_seal[1100];
    snprintf(src_data, sizeof src_data, "%s/data.mdb", good);
    snprintf(src_lock, sizeof src_lock, "%s/lock.mdb", good);
    snprintf(src_seal, sizeof src_seal, "%s/pupa.seal", good);
    size_t n = 0;
    char *orig = slurp(src_data, &n);
    CHECK(orig != NULL && n > 8192);
    if (!orig || n <= 8192) {
        free(orig);
        return;
    }
    const char *dir = tpath("bad-ix");
    char data[1100], lock[1100], seal[1100];
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    snprintf(lock, sizeof lock, "%s/lock.mdb", dir);
    snprintf(seal, sizeof seal, "%s/pupa.seal", dir);
    char *buf = malloc(n);

    /* the undamaged copy works */
    mkdir(dir, 0700);
    write_bytes(data, orig, n);
    copy_file(src_lock, lock);
    copy_file(src_seal, seal);
    probe(dir, "intact copy", 0, 0, 0);
    pupa_index *ix = open_index(dir);
    if (ix) {
        pupa_filter f;
        pupa_filter_init(&f);
        CHECK(count_quotes(ix, &f, NULL) > 0);
        pupa_index_close(ix);
    }

    /* Records damaged where LMDB cannot see it: the engine's own decoders
     * must report PUPA_ECORRUPT wherever a question reads them.  Quotes
     * read every record; an unfiltered table reads documents, postings and
     * the codebook, never a turn; a table by language reads the turns. */
    {
        static const char seg_text[] = "They beat me and hit me. Violence everywhere.";
        static const char doc_b[] = "\0\0\0\5" "b.txt" "\0\0\0\2" "P2";
        static const char codes[] = "\0\0\0\5" "trust" "\0\0\0\10" "violence";
        const long tl = (long)strlen(seg_text);
        static const struct {
            const char *what;
            int which; /* 0 seg text, 1 doc b, 2 codes list */
            long rel;
            unsigned char bytes[4];
        } rec[] = {
            {"segment text length past its record", 0, -4, {0x00, 0xFF, 0xFF, 0xFF}},
            {"segment hit count too large", 0, 0, {0, 0, 0, 3}},
            {"hit end past the segment text", 0, 4 + 12, {0, 1, 0, 0}},
            {"hit start after hit end", 0, 4 + 8, {0, 0, 0, 40}},
            {"hit of an unknown code", 0, 4, {0x7F, 0xFF, 0xFF, 0xFF}},
            {"hit of an unknown entry", 0, 4 + 4, {0x00, 0xFF, 0xFF, 0xFF}},
            {"participant length past its record", 1, 4 + 5, {0xFF, 0xFF, 0xFF, 0xF0}},
            /* "P2" becomes "Q2": her participants key names a document
             * that is no longer hers, which only quotes without a code
             * read (pupa_q_turns_by_participant). */
            {"document not its participant key's", 1, 4 + 5 + 2, {0x00, 0x02, 'Q', '2'}},
            {"codes list count too large", 2, -4, {0, 0, 0xFF, 0xFF}},
        };
        for (size_t i = 0; i < sizeof rec / sizeof *rec; i++) {
            memcpy(buf, orig, n);
            const char *needle = rec[i].which == 0 ? seg_text : rec[i].which == 1 ? doc_b : codes;
            size_t nlen = rec[i].which == 0 ? (size_t)tl
                          : rec[i].which == 1 ? sizeof doc_b - 1 : sizeof codes - 1;
            long rel = rec[i].rel + (rec[i].which == 0 && rec[i].rel >= 0 ? tl : 0);
            size_t hits = patch_all(buf, n, needle, nlen, rel, rec[i].bytes, 4);
            if (!hits) {
                fprintf(stderr, "%s:%d: %s: record not found in data.mdb\n", __FILE__, __LINE__,
                        rec[i].what);
                check_failures++;
                continue;
            }
            write_bytes(data, buf, n);
            copy_file(src_lock, lock);
            /* Sealed as it is: past the seal, pupa's own decoders must
             * catch what LMDB cannot see. */
            CHECK_EQ_INT(pupa_index_seal(dir), 0);
            /* A table never reads entries: only quotes must notice that
             * one.  The table by (Khmer) language decodes the damaged
             * English turn but not its hits. */
            int turns_rc = strstr(rec[i].what, "entry") || strncmp(rec[i].what, "hit ", 4) == 0 ||
                                   strstr(rec[i].what, "participant key")
                               ? 0 : PUPA_ECORRUPT;
            int table_rc = rec[i].which == 0 ? 0 : turns_rc;
            probe(dir, rec[i].what, PUPA_ECORRUPT, table_rc, turns_rc);
        }
    }

    /* The table of a document's turns record damaged, past the seal: a
     * count beyond the record, and two ends out of order.  The record is
     * found in data.mdb by its first bytes, read through LMDB. */
    {
        MDB_env *env = NULL;
        MDB_txn *txn = NULL;
        MDB_dbi segs;
        unsigned char head[64], dk[4] = {0, 0, 0, 0};
        MDB_val k = {sizeof dk, dk}, v = {0, NULL};
        CHECK_EQ_INT(mdb_env_create(&env), 0);
        mdb_env_set_maxdbs(env, 8);
        CHECK_EQ_INT(mdb_env_open(env, good, MDB_RDONLY, 0600), 0);
        CHECK_EQ_INT(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
        CHECK_EQ_INT(mdb_dbi_open(txn, "segs", 0, &segs), 0);
        CHECK_EQ_INT(mdb_get(txn, segs, &k, &v), 0);
        size_t hlen = v.mv_size < sizeof head ? v.mv_size : sizeof head;
        if (v.mv_data)
            memcpy(head, v.mv_data, hlen);
        uint32_t nturns = 0;
        if (v.mv_data)
            nturns = (uint32_t)head[0] << 24 | head[1] << 16 | head[2] << 8 | head[3];
        mdb_txn_abort(txn);
        mdb_env_close(env);
        CHECK(nturns >= 2 && hlen >= 12);
        static const unsigned char too_many[4] = {0x00, 0xFF, 0xFF, 0xFF};
        for (int c = 0; nturns >= 2 && hlen >= 12 && c < 2; c++) {
            memcpy(buf, orig, n);
            char *at = memmem(buf, n, head, hlen);
            CHECK(at != NULL);
            if (!at)
                break;
            if (c == 0) {
                memcpy(at, too_many, 4);
            } else { /* turn 0 now ends after turn 1 */
                unsigned char e[4];
                memcpy(e, at + 4, 4);
                memcpy(at + 4, at + 8, 4);
                memcpy(at + 8, e, 4);
            }
            write_bytes(data, buf, n);
            copy_file(src_lock, lock);
            CHECK_EQ_INT(pupa_index_seal(dir), 0);
            probe(dir, c == 0 ? "turns count past its record" : "turn ends out of order",
                  PUPA_ECORRUPT, 0, PUPA_ECORRUPT);
        }
    }

    /* One participants key deleted through LMDB and the index sealed
     * again: unfiltered quotes, which walk those keys, would leave her
     * document out without a word; they must report the damage.  Tables
     * read documents and postings, never those keys. */
    {
        mkdir(dir, 0700);
        write_bytes(data, orig, n);
        copy_file(src_lock, lock);
        participant_keys pk;
        MDB_val k, v;
        if (parts_open(&pk, dir)) {
            CHECK_EQ_INT(mdb_cursor_get(pk.cur, &k, &v, MDB_LAST), 0);
            CHECK_EQ_INT(mdb_cursor_del(pk.cur, 0), 0);
            parts_commit(&pk);
        }
        CHECK_EQ_INT(pupa_index_seal(dir), 0);
        probe(dir, "a participants key deleted", PUPA_ECORRUPT, 0, 0);
    }

    /* Two damages that hide each other's count: a document under a second
     * key of its participant (another year), and another document's key
     * deleted.  Her quotes and her timeline, which read her keys, and the
     * unfiltered quotes must all report it rather than count the first
     * document twice and leave the second out. */
    {
        write_bytes(data, orig, n);
        copy_file(src_lock, lock);
        participant_keys pk;
        MDB_val k, v;
        char who[256] = "";
        if (parts_open(&pk, dir)) {
            unsigned char key[512];
            CHECK_EQ_INT(mdb_cursor_get(pk.cur, &k, &v, MDB_FIRST), 0);
            CHECK(k.mv_size >= 8 && k.mv_size - 7 < sizeof who);
            if (k.mv_size >= 8 && k.mv_size - 7 < sizeof who) {
                memcpy(who, k.mv_data, k.mv_size - 7);
                who[k.mv_size - 7] = 0;
                memcpy(key, k.mv_data, k.mv_size);
                key[k.mv_size - 5]++; /* the year's low byte */
                MDB_val again = {k.mv_size, key}, none = {0, ""};
                uint32_t first_doc;
                memcpy(&first_doc, key + k.mv_size - 4, 4);
                CHECK_EQ_INT(mdb_cursor_get(pk.cur, &k, &v, MDB_LAST), 0);
                CHECK(memcmp((const char *)k.mv_data + k.mv_size - 4, &first_doc, 4) != 0);
                CHECK_EQ_INT(mdb_cursor_del(pk.cur, 0), 0);
                CHECK_EQ_INT(mdb_cursor_put(pk.cur, &again, &none, MDB_NOOVERWRITE), 0);
            }
            parts_commit(&pk);
        }
        CHECK_EQ_INT(pupa_index_seal(dir), 0);
        probe(dir, "a document under two participants keys", PUPA_ECORRUPT, 0, 0);
        pupa_index *dix = open_index(dir);
        if (dix) {
            pupa_filter f;
            pupa_filter_init(&f);
            f.participant = who;
            size_t sum = 0;
            CHECK_EQ_INT(pupa_quotes(dix, &f, touch_quote, &sum), PUPA_ECORRUPT);
            pupa_timeline *t = NULL;
            CHECK_EQ_INT(pupa_timeline_build(dix, who, 1, 1, &f, &t), PUPA_ECORRUPT);
            CHECK(t == NULL);
            pupa_index_close(dix);
        }
    }

    /* truncated to half, and by its last page */
    write_bytes(data, orig, n / 2);
    copy_file(src_lock, lock);
    copy_file(src_seal, seal);
    probe(dir, "data.mdb truncated to half", 0, 0, 0);
    write_bytes(data, orig, n - 4096);
    copy_file(src_lock, lock);
    copy_file(src_seal, seal);
    probe(dir, "data.mdb without its last page", 0, 0, 0);

    /* a run of 0xFF in the middle */
    memcpy(buf, orig, n);
    memset(buf + n / 2, 0xFF, n / 8 > 4096 ? 4096 : n / 8);
    write_bytes(data, buf, n);
    copy_file(src_lock, lock);
    copy_file(src_seal, seal);
    probe(dir, "0xFF run in the middle", 0, 0, 0);

    /* the data pages past the two meta pages zeroed */
    memcpy(buf, orig, n);
    memset(buf + 8192, 0, n - 8192);
    write_bytes(data, buf, n);
    copy_file(src_lock, lock);
    copy_file(src_seal, seal);
    probe(dir, "data pages zeroed", 0, 0, 0);

    /* all zero */
    memset(buf, 0, n);
    write_bytes(data, buf, n);
    copy_file(src_lock, lock);
    copy_file(src_seal, seal);
    probe(dir, "all zero", 0, 0, 0);
    ix = (pupa_index *)1;
    CHECK(pupa_index_open(&ix, dir) < 0);
    CHECK(ix == NULL);

    /* ~50 flipped bytes, 24 seeds; odd seeds spare the meta pages */
    for (uint64_t seed = 1; seed <= 24; seed++) {
        uint64_t x = seed * 0x9E3779B97F4A7C15ull;
        memcpy(buf, orig, n);
        size_t from = seed % 2 ? 8192 : 0;
        for (int i = 0; i < 50; i++) {
            size_t pos = from + (size_t)(lcg(&x) % (n - from));
            buf[pos] ^= (char)((lcg(&x) & 0xFF) | 1);
        }
        write_bytes(data, buf, n);
        copy_file(src_lock, lock);
    copy_file(src_seal, seal);
        char what[64];
        snprintf(what, sizeof what, "50 byte flips, seed %llu", (unsigned long long)seed);
        probe(dir, what, 0, 0, 0);
    }
    free(buf);
    free(orig);

    /* not an index at all */
    const char *empty = tpath("empty-dir");
    mkdir(empty, 0700);
    ix = (pupa_index *)1;
    CHECK(pupa_index_open(&ix, empty) < 0);
    CHECK(ix == NULL);
    const char *junk = tpath("junk-dir");
    mkdir(junk, 0700);
    char jp[1024];
    snprintf(jp, sizeof jp, "%s/data.mdb", junk);
    write_str(jp, "this is not an LMDB file, only some text.\n");
    ix = (pupa_index *)1;
    CHECK(pupa_index_open(&ix, junk) < 0);
    CHECK(ix == NULL);
    probe(junk, "text file as data.mdb", 0, 0, 0);
    ix = (pupa_index *)1;
    CHECK(pupa_index_open(&ix, tpath("no/such/index")) < 0);
    CHECK(ix == NULL);
    ix = (pupa_index *)1;
    CHECK(pupa_index_open(&ix, lexpath) < 0); /* a file, not a folder */
    CHECK(ix == NULL);
}

/* An index written by a pupa of another index format: sealed and sound,
 * but neither read nor updated; both say so and what to do.  A copy of
 * good with meta "format" set to 1. */
static void test_other_format(const char *good, const char *corpus)
{
    const char *dir = tpath("format1-ix");
    char from[1100], to[1100];
    mkdir(dir, 0700);
    snprintf(from, sizeof from, "%s/data.mdb", good);
    snprintf(to, sizeof to, "%s/data.mdb", dir);
    copy_file(from, to);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi meta;
    unsigned char one[4] = {0, 0, 0, 1};
    MDB_val k = {6, "format"}, v = {4, one};
    CHECK_EQ_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    CHECK_EQ_INT(mdb_env_open(env, dir, 0, 0600), 0);
    CHECK_EQ_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_EQ_INT(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    CHECK_EQ_INT(mdb_put(txn, meta, &k, &v, 0), 0);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    CHECK_EQ_INT(pupa_index_seal(dir), 0);

    pupa_index *ix = NULL;
    CHECK_EQ_INT(pupa_index_open(&ix, dir), PUPA_ECORRUPT);
    CHECK(ix == NULL);
    CHECK(strstr(pupa_errmsg(), "an index of format 1") != NULL);
    CHECK(strstr(pupa_errmsg(), "remove it and index again") != NULL);
    pupa_build_stats st;
    size_t n = 0;
    char *before = slurp(to, &n);
    CHECK_EQ_INT(build(corpus, dir, lexpath, 2, &st, NULL), PUPA_ECORRUPT);
    CHECK(strstr(pupa_errmsg(), "an index of format 1") != NULL);
    size_t n2 = 0;
    char *after = slurp(to, &n2);
    CHECK(before && after && n == n2 && memcmp(before, after, n) == 0); /* left as it was */
    free(before);
    free(after);
    /* and sealed as it was, so a reader still gives the same reason */
    CHECK_EQ_INT(pupa_index_open(&ix, dir), PUPA_ECORRUPT);
    CHECK(strstr(pupa_errmsg(), "an index of format 1") != NULL);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tmp_setup("index");
    snprintf(lexpath, sizeof lexpath, "%s", tpath("lex.yml"));
    write_str(lexpath, LEXICON);
    snprintf(lexpath2, sizeof lexpath2, "%s", tpath("lex2.yml"));
    write_str(lexpath2, LEXICON2);

    char c1[1024], ix1[1024];
    snprintf(c1, sizeof c1, "%s", tpath("c1"));
    snprintf(ix1, sizeof ix1, "%s", tpath("ix1"));
    write_corpus(c1);
    test_build_and_query(c1, ix1);
    test_incremental(c1, ix1);

    char c2[1024], ix2[1024];
    snprintf(c2, sizeof c2, "%s", tpath("c2"));
    snprintf(ix2, sizeof ix2, "%s", tpath("ix2"));
    test_bad_input(c2, ix2);

    char c3[1024], ix3a[1024], ix3b[1024];
    snprintf(c3, sizeof c3, "%s", tpath("c3"));
    snprintf(ix3a, sizeof ix3a, "%s", tpath("ix3a"));
    snprintf(ix3b, sizeof ix3b, "%s", tpath("ix3b"));
    test_threads(c3, ix3a, ix3b);
    test_corrupt(ix3a);
    test_other_format(ix3a, c3);

    tmp_cleanup();
    return check_result();
}
