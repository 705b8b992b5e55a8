/*
 * query_bench.c: query latency of a pupa index against the same hits in
 * SQLite, asked the same questions in one process.
 *
 *   pupa-bench-query export INDEX DB.sqlite
 *       Copies every hit of INDEX (pupa_quotes with no filter, negated
 *       hits too) into a new SQLite database: docs, segs (the turns that
 *       have hits), hits, codes, entries, with indexes on every column the
 *       questions filter or join on, then ANALYZE.
 *   pupa-bench-query run INDEX DB.sqlite REPS CODE YEAR_MIN YEAR_MAX GROUP PARTICIPANT
 *       Asks both REPS times, after one untimed warm-up each:
 *         quotes_code         quotes --code CODE --year MIN-MAX --group GROUP
 *         quotes_participant  quotes --participant PARTICIPANT
 *         table_group         table --depth 1 --by group
 *         table_year_code     table --depth 2 --by year --code CODE
 *         timeline            timeline PARTICIPANT --depth 2
 *         cooccur             cooccur --depth 1 (the matrix of segments)
 *       and prints one JSON object: per question the median milliseconds
 *       of each, their ratio, and whether the answers agree (rows for
 *       quotes; the sum of individuals and comments over cells and row
 *       totals for tables; comments over cells for the timeline; cells and
 *       the sum of individuals and segments over them, each pair of codes
 *       once, for the matrix).
 *
 * Both sides open once and keep their handle (pupa_index_open verifies the
 * seal, a read of the whole file, so it is timed apart); both consume every
 * column of every row.  SQLite gets a 256 MB page cache and a 1 GB mmap,
 * its best case.  Counted hits only (not negated), as the CLI's defaults.
 */
#include "bench_util.h"

#include <sqlite3.h>

static sqlite3 *db_open(const char *path, int create)
{
    sqlite3 *db;
    int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(db));
        exit(1);
    }
    return db;
}

static void db_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s\n  in: %s\n", err ? err : "?", sql);
        exit(1);
    }
}

static sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s\n  in: %s\n", sqlite3_errmsg(db), sql);
        exit(1);
    }
    return st;
}

static void db_step_done(sqlite3 *db, sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE) {
        fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(st);
}

static pupa_index *ix_open(const char *path, double *secs)
{
    pupa_index *ix;
    double t0 = bench_now();
    if (pupa_index_open(&ix, path)) {
        fprintf(stderr, "%s: %s\n", path, pupa_errmsg());
        exit(1);
    }
    *secs = bench_now() - t0;
    return ix;
}

/* ------------------------------------------------------------- export */

/* Names seen so far (doc paths, codes, entries) and their ids: a plain
 * open-addressing table, ids in order of first appearance. */
typedef struct names {
    char **v;
    size_t n, cap;
    uint32_t *slots;
    size_t nslots;
} names;

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static uint32_t names_id(names *t, const char *s, int *added)
{
    if ((t->n + 1) * 2 > t->nslots) {
        size_t ns = t->nslots ? t->nslots * 2 : 1024;
        uint32_t *slots = calloc(ns, sizeof *slots);
        if (!slots)
            exit(1);
        for (size_t i = 0; i < t->n; i++) {
            size_t h = fnv(t->v[i]) & (ns - 1);
            while (slots[h])
                h = (h + 1) & (ns - 1);
            slots[h] = (uint32_t)i + 1;
        }
        free(t->slots);
        t->slots = slots;
        t->nslots = ns;
    }
    size_t h = fnv(s) & (t->nslots - 1);
    for (; t->slots[h]; h = (h + 1) & (t->nslots - 1))
        if (!strcmp(t->v[t->slots[h] - 1], s)) {
            *added = 0;
            return t->slots[h] - 1;
        }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->v = realloc(t->v, t->cap * sizeof *t->v);
        if (!t->v)
            exit(1);
    }
    t->v[t->n] = strdup(s);
    t->slots[h] = (uint32_t)t->n + 1;
    *added = 1;
    return (uint32_t)t->n++;
}

static void names_free(names *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    free(t->slots);
}

typedef struct exporter {
    sqlite3 *db;
    sqlite3_stmt *doc, *seg, *hit, *code, *entry;
    names docs, codes, entries;
    uint32_t last_doc, last_turn;
    int have_last;
    size_t nhits, nsegs;
} exporter;

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* The depth-d prefix of a code path. */
static void code_prefix(const char *code, int depth, char *out, size_t cap)
{
    size_t i = 0;
    for (int d = 0; code[i]; i++)
        if (code[i] == '/' && ++d == depth)
            break;
    snprintf(out, cap, "%.*s", (int)i, code);
}

static int export_quote(void *ctx, const pupa_quote *q)
{
    exporter *x = ctx;
    int added;
    uint32_t doc = names_id(&x->docs, q->doc, &added);
    if (added) {
        sqlite3_bind_int64(x->doc, 1, doc);
        bind_text(x->doc, 2, q->doc);
        bind_text(x->doc, 3, q->participant);
        sqlite3_bind_int(x->doc, 4, q->year);
        bind_text(x->doc, 5, q->group);
        bind_text(x->doc, 6, q->gender);
        bind_text(x->doc, 7, q->age);
        db_step_done(x->db, x->doc);
    }
    if (!x->have_last || x->last_doc != doc || x->last_turn != q->turn) {
        sqlite3_bind_int64(x->seg, 1, doc);
        sqlite3_bind_int64(x->seg, 2, q->turn);
        sqlite3_bind_int64(x->seg, 3, q->segment);
        bind_text(x->seg, 4, q->speaker);
        sqlite3_bind_int(x->seg, 5, q->lang);
        sqlite3_bind_text(x->seg, 6, q->text, (int)q->text_len, SQLITE_STATIC);
        sqlite3_bind_int64(x->seg, 7, (sqlite3_int64)q->seg_start);
        sqlite3_bind_int64(x->seg, 8, (sqlite3_int64)q->seg_end);
        db_step_done(x->db, x->seg);
        x->last_doc = doc;
        x->last_turn = q->turn;
        x->have_last = 1;
        x->nsegs++;
    }
    uint32_t code = names_id(&x->codes, q->code, &added);
    if (added) {
        char d1[512], d2[512];
        code_prefix(q->code, 1, d1, sizeof d1);
        code_prefix(q->code, 2, d2, sizeof d2);
        sqlite3_bind_int64(x->code, 1, code);
        bind_text(x->code, 2, q->code);
        bind_text(x->code, 3, d1);
        bind_text(x->code, 4, d2);
        db_step_done(x->db, x->code);
    }
    uint32_t entry = names_id(&x->entries, q->entry, &added);
    if (added) {
        sqlite3_bind_int64(x->entry, 1, entry);
        bind_text(x->entry, 2, q->entry);
        db_step_done(x->db, x->entry);
    }
    sqlite3_bind_int64(x->hit, 1, doc);
    sqlite3_bind_int64(x->hit, 2, q->turn);
    sqlite3_bind_int64(x->hit, 3, code);
    sqlite3_bind_int64(x->hit, 4, entry);
    sqlite3_bind_int64(x->hit, 5, q->hit_start);
    sqlite3_bind_int64(x->hit, 6, q->hit_end);
    sqlite3_bind_int64(x->hit, 7, (sqlite3_int64)q->start);
    sqlite3_bind_int64(x->hit, 8, (sqlite3_int64)q->end);
    sqlite3_bind_int(x->hit, 9, q->negated != 0);
    db_step_done(x->db, x->hit);
    x->nhits++;
    return 0;
}

static int cmd_export(const char *index, const char *dbpath)
{
    double open_s;
    pupa_index *ix = ix_open(index, &open_s);
    remove(dbpath);
    exporter x = {0};
    x.db = db_open(dbpath, 1);
    double t0 = bench_now();
    db_exec(x.db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096;"
                  "CREATE TABLE docs(id INTEGER PRIMARY KEY, path TEXT, participant TEXT,"
                  " year INTEGER, grp TEXT, gender TEXT, age TEXT);"
                  "CREATE TABLE segs(doc INTEGER, turn INTEGER, segment INTEGER, speaker TEXT,"
                  " lang INTEGER, text TEXT, start INTEGER, end INTEGER, PRIMARY KEY(doc, turn));"
                  "CREATE TABLE hits(doc INTEGER, turn INTEGER, code INTEGER, entry INTEGER,"
                  " hstart INTEGER, hend INTEGER, fstart INTEGER, fend INTEGER, negated INTEGER);"
                  "CREATE TABLE codes(id INTEGER PRIMARY KEY, path TEXT, d1 TEXT, d2 TEXT);"
                  "CREATE TABLE entries(id INTEGER PRIMARY KEY, name TEXT);"
                  "BEGIN;");
    x.doc = db_prepare(x.db, "INSERT INTO docs VALUES(?,?,?,?,?,?,?)");
    x.seg = db_prepare(x.db, "INSERT INTO segs VALUES(?,?,?,?,?,?,?,?)");
    x.hit = db_prepare(x.db, "INSERT INTO hits VALUES(?,?,?,?,?,?,?,?,?)");
    x.code = db_prepare(x.db, "INSERT INTO codes VALUES(?,?,?,?)");
    x.entry = db_prepare(x.db, "INSERT INTO entries VALUES(?,?)");
    pupa_filter f;
    pupa_filter_init(&f);
    f.negated = 1;
    if (pupa_quotes(ix, &f, export_quote, &x)) {
        fprintf(stderr, "pupa_quotes: %s\n", pupa_errmsg());
        return 1;
    }
    db_exec(x.db, "COMMIT;");
    double load_s = bench_now() - t0;
    t0 = bench_now();
    db_exec(x.db, "CREATE INDEX hits_code ON hits(code, negated);"
                  "CREATE INDEX hits_doc ON hits(doc, turn);"
                  "CREATE INDEX docs_participant ON docs(participant, year);"
                  "CREATE INDEX docs_grp ON docs(grp, year);"
                  "CREATE INDEX docs_year ON docs(year);"
                  "CREATE INDEX codes_d1 ON codes(d1);"
                  "CREATE INDEX codes_path ON codes(path);"
                  "ANALYZE;");
    double index_s = bench_now() - t0;
    sqlite3_finalize(x.doc);
    sqlite3_finalize(x.seg);
    sqlite3_finalize(x.hit);
    sqlite3_finalize(x.code);
    sqlite3_finalize(x.entry);
    sqlite3_close(x.db);
    printf("{\"hits\":%zu,\"segments\":%zu,\"docs\":%zu,\"codes\":%zu,\"load_s\":%.3f,"
           "\"index_s\":%.3f,\"pupa_open_s\":%.6f,\"sqlite\":\"%s\"}\n",
           x.nhits, x.nsegs, x.docs.n, x.codes.n, load_s, index_s, open_s, sqlite3_libversion());
    names_free(&x.docs);
    names_free(&x.codes);
    names_free(&x.entries);
    pupa_index_close(ix);
    return 0;
}

/* ---------------------------------------------------------------- run */

typedef struct answer {
    uint64_t rows;  /* quotes: rows; tables: cells with a count */
    uint64_t sum;   /* tables, timeline: sum of individuals and comments */
    uint64_t bytes; /* bytes consumed, so nothing is optimised away */
} answer;

typedef struct params {
    const char *code, *group, *participant;
    int year_min, year_max;
} params;

static int consume_quote(void *ctx, const pupa_quote *q)
{
    answer *a = ctx;
    a->rows++;
    a->bytes += strlen(q->doc) + strlen(q->participant) + (q->group ? strlen(q->group) : 0) +
                (q->gender ? strlen(q->gender) : 0) + (q->age ? strlen(q->age) : 0) +
                (q->speaker ? strlen(q->speaker) : 0) + q->text_len + strlen(q->code) +
                strlen(q->entry) + (size_t)q->year + q->segment + (size_t)q->lang +
                q->hit_start + q->hit_end + (size_t)q->start + (size_t)q->end +
                (size_t)q->negated;
    return 0;
}

static void consume_row(sqlite3_stmt *st, answer *a)
{
    a->rows++;
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++) {
        if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
            a->bytes += (uint64_t)sqlite3_column_int64(st, i);
        else {
            sqlite3_column_text(st, i);
            a->bytes += (uint64_t)sqlite3_column_bytes(st, i);
        }
    }
}

static void sql_rows(sqlite3_stmt *st, answer *a)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        consume_row(st, a);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "sqlite step failed (%d)\n", rc);
        exit(1);
    }
    sqlite3_reset(st);
}

/* Sums columns from first on of every row (tables: individuals, comments). */
static void sql_sums(sqlite3_stmt *st, int first, answer *a)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        a->rows++;
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            if (i >= first)
                a->sum += (uint64_t)sqlite3_column_int64(st, i);
            else {
                sqlite3_column_text(st, i);
                a->bytes += (uint64_t)sqlite3_column_bytes(st, i);
            }
        }
    }
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "sqlite step failed (%d)\n", rc);
        exit(1);
    }
    sqlite3_reset(st);
}

#define QUOTE_COLS                                                                          \
    "SELECT d.path, d.participant, d.grp, d.gender, d.age, d.year, s.segment, s.speaker,"   \
    " s.lang, s.text, c.path, e.name, h.hstart, h.hend, h.fstart, h.fend, h.negated"         \
    " FROM hits h JOIN docs d ON d.id = h.doc JOIN segs s ON s.doc = h.doc AND s.turn = h.turn" \
    " JOIN codes c ON c.id = h.code JOIN entries e ON e.id = h.entry "
#define QUOTE_ORDER \
    " ORDER BY d.participant, d.year, d.path, h.doc, h.turn, h.hstart, h.hend, h.code, h.entry"
#define CODE_MATCH "(path = ?1 OR substr(path, 1, length(?1) + 1) = ?1 || '/')"

enum {
    Q_QUOTES_CODE,
    Q_QUOTES_PARTICIPANT,
    Q_TABLE_GROUP,
    Q_TABLE_YEAR_CODE,
    Q_TIMELINE,
    Q_COOCCUR,
    NQ
};
static const char *const qnames[NQ] = {"quotes_code",     "quotes_participant", "table_group",
                                       "table_year_code", "timeline",           "cooccur"};

typedef struct sqlq {
    sqlite3_stmt *st[3];
    int n;
} sqlq;

static void sql_prepare_all(sqlite3 *db, const params *p, sqlq *q)
{
    memset(q, 0, NQ * sizeof *q);
    q[Q_QUOTES_CODE].st[0] = db_prepare(
        db, QUOTE_COLS "WHERE h.code IN (SELECT id FROM codes WHERE " CODE_MATCH ")"
                       " AND d.year BETWEEN ?2 AND ?3 AND d.grp = ?4 AND h.negated = 0" QUOTE_ORDER);
    q[Q_QUOTES_CODE].n = 1;
    sqlite3_bind_text(q[0].st[0], 1, p->code, -1, SQLITE_STATIC);
    sqlite3_bind_int(q[0].st[0], 2, p->year_min);
    sqlite3_bind_int(q[0].st[0], 3, p->year_max);
    sqlite3_bind_text(q[0].st[0], 4, p->group, -1, SQLITE_STATIC);

    q[Q_QUOTES_PARTICIPANT].st[0] =
        db_prepare(db, QUOTE_COLS "WHERE d.participant = ?1 AND h.negated = 0" QUOTE_ORDER);
    q[Q_QUOTES_PARTICIPANT].n = 1;
    sqlite3_bind_text(q[1].st[0], 1, p->participant, -1, SQLITE_STATIC);

    /* Tables: the cells, then the row totals (pupa also counts column totals
     * and the grand total; SQLite is spared those). */
    q[Q_TABLE_GROUP].st[0] = db_prepare(
        db, "SELECT c.d1, d.grp, COUNT(DISTINCT d.participant),"
            " COUNT(DISTINCT (h.doc << 24) + h.turn) FROM hits h JOIN docs d ON d.id = h.doc"
            " JOIN codes c ON c.id = h.code WHERE h.negated = 0 GROUP BY c.d1, d.grp");
    q[Q_TABLE_GROUP].st[1] = db_prepare(
        db, "SELECT c.d1, COUNT(DISTINCT d.participant),"
            " COUNT(DISTINCT (h.doc << 24) + h.turn) FROM hits h JOIN docs d ON d.id = h.doc"
            " JOIN codes c ON c.id = h.code WHERE h.negated = 0 GROUP BY c.d1");
    q[Q_TABLE_GROUP].n = 2;

    q[Q_TABLE_YEAR_CODE].st[0] = db_prepare(
        db, "SELECT c.d2, d.year, COUNT(DISTINCT d.participant),"
            " COUNT(DISTINCT (h.doc << 24) + h.turn) FROM hits h JOIN docs d ON d.id = h.doc"
            " JOIN codes c ON c.id = h.code WHERE h.code IN (SELECT id FROM codes WHERE "
            CODE_MATCH ") AND h.negated = 0 GROUP BY c.d2, d.year");
    q[Q_TABLE_YEAR_CODE].st[1] = db_prepare(
        db, "SELECT c.d2, COUNT(DISTINCT d.participant),"
            " COUNT(DISTINCT (h.doc << 24) + h.turn) FROM hits h JOIN docs d ON d.id = h.doc"
            " JOIN codes c ON c.id = h.code WHERE h.code IN (SELECT id FROM codes WHERE "
            CODE_MATCH ") AND h.negated = 0 GROUP BY c.d2");
    q[Q_TABLE_YEAR_CODE].n = 2;
    for (int i = 0; i < 2; i++)
        sqlite3_bind_text(q[Q_TABLE_YEAR_CODE].st[i], 1, p->code, -1, SQLITE_STATIC);

    q[Q_TIMELINE].st[0] = db_prepare(
        db, "SELECT year, MIN(grp), MIN(age) FROM docs WHERE participant = ?1 GROUP BY year");
    q[Q_TIMELINE].st[1] = db_prepare(
        db, "SELECT c.d2, d.year, COUNT(DISTINCT (h.doc << 24) + h.turn) FROM hits h"
            " JOIN docs d ON d.id = h.doc JOIN codes c ON c.id = h.code"
            " WHERE d.participant = ?1 AND h.negated = 0 GROUP BY c.d2, d.year");
    q[Q_TIMELINE].n = 2;
    for (int i = 0; i < 2; i++)
        sqlite3_bind_text(q[Q_TIMELINE].st[i], 1, p->participant, -1, SQLITE_STATIC);

    /* The matrix: each segment's codes at depth 1 (counted hits), paired
     * with themselves and each other once (a <= b, the diagonal being the
     * segments with the code), with the participants and segments of each
     * pair. */
    q[Q_COOCCUR].st[0] = db_prepare(
        db, "WITH u AS (SELECT DISTINCT h.doc AS doc, h.turn AS turn, c.d1 AS code FROM hits h"
            " JOIN codes c ON c.id = h.code WHERE h.negated = 0)"
            " SELECT a.code, b.code, COUNT(DISTINCT d.participant), COUNT(*) FROM u a"
            " JOIN u b ON b.doc = a.doc AND b.turn = a.turn AND b.code >= a.code"
            " JOIN docs d ON d.id = a.doc GROUP BY a.code, b.code");
    q[Q_COOCCUR].n = 1;
}

static void sql_ask(sqlq *q, int which, answer *a)
{
    memset(a, 0, sizeof *a);
    switch (which) {
    case Q_QUOTES_CODE:
    case Q_QUOTES_PARTICIPANT:
        sql_rows(q[which].st[0], a);
        break;
    case Q_TABLE_GROUP:
    case Q_TABLE_YEAR_CODE: {
        sql_sums(q[which].st[0], 2, a);
        answer totals = {0};
        sql_sums(q[which].st[1], 1, &totals);
        a->sum += totals.sum;
        a->bytes += totals.bytes;
        break;
    }
    case Q_TIMELINE: {
        answer years = {0};
        sql_rows(q[which].st[0], &years);
        sql_sums(q[which].st[1], 2, a);
        a->bytes += years.bytes;
        break;
    }
    case Q_COOCCUR:
        sql_sums(q[which].st[0], 2, a);
        break;
    }
}

static void table_answer(const pupa_table *t, answer *a)
{
    for (size_t r = 0; r < t->nrows; r++) {
        a->bytes += strlen(t->rows[r]);
        for (size_t c = 0; c < t->ncols; c++) {
            const pupa_cell *x = &t->cells[r * t->ncols + c];
            if (x->individuals || x->comments) {
                a->rows++;
                a->sum += x->individuals + x->comments;
            }
        }
        a->sum += t->row_total[r].individuals + t->row_total[r].comments;
    }
    for (size_t c = 0; c < t->ncols; c++)
        a->bytes += strlen(t->cols[c]);
}

static void pupa_ask(pupa_index *ix, const params *p, int which, answer *a)
{
    memset(a, 0, sizeof *a);
    pupa_filter f;
    pupa_filter_init(&f);
    int rc = 0;
    pupa_table *t = NULL;
    switch (which) {
    case Q_QUOTES_CODE:
        f.code = p->code;
        f.year_min = p->year_min;
        f.year_max = p->year_max;
        f.group = p->group;
        rc = pupa_quotes(ix, &f, consume_quote, a);
        break;
    case Q_QUOTES_PARTICIPANT:
        f.participant = p->participant;
        rc = pupa_quotes(ix, &f, consume_quote, a);
        break;
    case Q_TABLE_GROUP:
        if (!(rc = pupa_table_build(ix, 1, "group", &f, &t)))
            table_answer(t, a);
        break;
    case Q_TABLE_YEAR_CODE:
        f.code = p->code;
        if (!(rc = pupa_table_build(ix, 2, "year", &f, &t)))
            table_answer(t, a);
        break;
    case Q_TIMELINE: {
        pupa_timeline *tl = NULL;
        if (!(rc = pupa_timeline_build(ix, p->participant, 2, 0, &f, &tl))) {
            for (size_t y = 0; y < tl->nyears; y++)
                a->bytes += (tl->years[y].group ? strlen(tl->years[y].group) : 0) +
                            (size_t)tl->years[y].year;
            for (size_t i = 0; i < tl->nrows * tl->nyears; i++)
                if (tl->cells[i].comments) {
                    a->rows++;
                    a->sum += tl->cells[i].comments;
                }
            pupa_timeline_free(tl);
        }
        break;
    }
    case Q_COOCCUR: {
        pupa_cooccur *m = NULL;
        if (!(rc = pupa_cooccur_build(ix, PUPA_UNIT_SEGMENT, 1, &f, &m))) {
            for (size_t i = 0; i < m->ncodes; i++) {
                a->bytes += strlen(m->codes[i]);
                for (size_t j = i; j < m->ncodes; j++) {
                    const pupa_count *x = &m->cells[i * m->ncodes + j];
                    if (x->units) {
                        a->rows++;
                        a->sum += x->units + x->individuals;
                    }
                }
            }
            pupa_cooccur_free(m);
        }
        break;
    }
    }
    pupa_table_free(t);
    if (rc) {
        fprintf(stderr, "%s: %s\n", qnames[which], pupa_errmsg());
        exit(1);
    }
}

static int cmd_run(int argc, char **argv)
{
    if (argc != 10) {
        fprintf(stderr,
                "usage: %s run INDEX DB REPS CODE YEAR_MIN YEAR_MAX GROUP PARTICIPANT\n",
                argv[0]);
        return 2;
    }
    int reps = atoi(argv[4]);
    if (reps < 1 || reps > 1000)
        reps = 5;
    params p = {argv[5], argv[8], argv[9], atoi(argv[6]), atoi(argv[7])};
    double open_s;
    pupa_index *ix = ix_open(argv[2], &open_s);
    double t0 = bench_now();
    sqlite3 *db = db_open(argv[3], 0);
    db_exec(db, "PRAGMA cache_size=-262144; PRAGMA mmap_size=1073741824;");
    double sqlite_open_s = bench_now() - t0;
    sqlq q[NQ];
    sql_prepare_all(db, &p, q);
    double *tp = bench_xmalloc((size_t)reps * sizeof *tp);
    double *ts = bench_xmalloc((size_t)reps * sizeof *ts);
    printf("{\"reps\":%d,\"pupa_open_s\":%.6f,\"sqlite_open_s\":%.6f,\"queries\":{", reps,
           open_s, sqlite_open_s);
    for (int w = 0; w < NQ; w++) {
        answer ap, as;
        pupa_ask(ix, &p, w, &ap); /* warm-up: both read their pages once */
        sql_ask(q, w, &as);
        for (int r = 0; r < reps; r++) {
            double a = bench_now();
            pupa_ask(ix, &p, w, &ap);
            tp[r] = bench_now() - a;
            a = bench_now();
            sql_ask(q, w, &as);
            ts[r] = bench_now() - a;
        }
        double mp = bench_median(tp, (size_t)reps), ms = bench_median(ts, (size_t)reps);
        int agree = w <= Q_QUOTES_PARTICIPANT ? ap.rows == as.rows
                                              : ap.sum == as.sum && ap.rows == as.rows;
        printf("%s\"%s\":{\"pupa_ms\":%.3f,\"sqlite_ms\":%.3f,\"sqlite_over_pupa\":%.2f,"
               "\"pupa_rows\":%llu,\"sqlite_rows\":%llu,\"pupa_sum\":%llu,\"sqlite_sum\":%llu,"
               "\"agree\":%s}",
               w ? "," : "", qnames[w], mp * 1e3, ms * 1e3, mp > 0 ? ms / mp : 0,
               (unsigned long long)ap.rows, (unsigned long long)as.rows,
               (unsigned long long)ap.sum, (unsigned long long)as.sum,
               agree ? "true" : "false");
        fflush(stdout);
    }
    printf("},\"sqlite\":\"%s\"}\n", sqlite3_libversion());
    for (int w = 0; w < NQ; w++)
        for (int i = 0; i < q[w].n; i++)
            sqlite3_finalize(q[w].st[i]);
    sqlite3_close(db);
    pupa_index_close(ix);
    free(tp);
    free(ts);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "export"))
        return cmd_export(argv[2], argv[3]);
    if (argc >= 2 && !strcmp(argv[1], "run"))
        return cmd_run(argc, argv);
    fprintf(stderr, "usage: %s export INDEX DB | run INDEX DB REPS CODE YMIN YMAX GROUP PART\n",
            argv[0]);
    return 2;
}
