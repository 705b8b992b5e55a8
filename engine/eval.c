/*
 * eval.c: pupa eval, agreement between a codebook and human codes.
 *
 * Owns the gold file format (CSV, pupa.h says which columns), the unit of
 * agreement and the scores.  A unit is one coded segment of a document the
 * gold file names; a code is present in a unit for the humans when a gold
 * row gives it, and for pupa when a counted (not negated) hit gives it,
 * both cut to the chosen depth of the code path.  Per code that makes a
 * 2x2 table over every unit, hence precision, recall, F1 and Cohen's kappa
 * (the chance-corrected agreement of two coders saying yes or no per unit);
 * micro scores pool the tables of all codes, macro scores average the codes
 * the humans used.  Documents are read and coded exactly as pupa code does,
 * so the figures are those of the index the analysts would query.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_GOLD_BYTES (256u * 1024u * 1024u)
#define MAX_FIELDS 64

typedef struct label {
    uint32_t unit, code;
    uint8_t human; /* 1: a gold row, 0: a hit */
} label;

typedef struct unit {
    uint32_t doc;                /* index into docs */
    uint32_t segment;
    const pupa_segment *seg;     /* into its file, alive as long as ev */
} unit;

typedef struct evdoc {
    char *name;      /* as the gold file writes it */
    pupa_file *file; /* NULL until read */
    const pupa_doc *doc;
    uint32_t first_unit, nunits;
} evdoc;

struct pupa_eval {
    evdoc *docs;
    size_t ndocs, docs_cap;
    unit *units;
    size_t nunits, units_cap;
    char **codes;
    size_t ncodes, codes_cap;
    label *labels;
    size_t nlabels, labels_cap;
    pupa_eval_score *scores; /* ncodes, by name */
    pupa_eval_score micro, macro;
    pupa_eval_miss *misses;
    size_t nmisses, misses_cap;
};

void pupa_eval_free(pupa_eval *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->ndocs; i++) {
        free(ev->docs[i].name);
        pupa_file_free(ev->docs[i].file);
    }
    free(ev->docs);
    free(ev->units);
    for (size_t i = 0; i < ev->ncodes; i++)
        free(ev->codes[i]);
    free(ev->codes);
    free(ev->labels);
    free(ev->scores);
    free(ev->misses);
    free(ev);
}

size_t pupa_eval_nunits(const pupa_eval *ev) { return ev->nunits; }
size_t pupa_eval_ncodes(const pupa_eval *ev) { return ev->ncodes; }
const pupa_eval_score *pupa_eval_code(const pupa_eval *ev, size_t i)
{
    return i < ev->ncodes ? &ev->scores[i] : NULL;
}
const pupa_eval_score *pupa_eval_micro(const pupa_eval *ev) { return &ev->micro; }
const pupa_eval_score *pupa_eval_macro(const pupa_eval *ev) { return &ev->macro; }
size_t pupa_eval_nmisses(const pupa_eval *ev) { return ev->nmisses; }
const pupa_eval_miss *pupa_eval_miss_at(const pupa_eval *ev, size_t i)
{
    return i < ev->nmisses ? &ev->misses[i] : NULL;
}

/* ------------------------------------------------------------- codes */

/* The code cut to depth components, interned; *out is its id. */
static int intern_code(pupa_eval *ev, const char *path, size_t len, int depth, uint32_t *out)
{
    size_t n = 0;
    int parts = 1;
    while (n < len && !(path[n] == '/' && depth > 0 && parts == depth))
        parts += path[n++] == '/';
    for (size_t i = 0; i < ev->ncodes; i++)
        if (strlen(ev->codes[i]) == n && !memcmp(ev->codes[i], path, n)) {
            *out = (uint32_t)i;
            return 0;
        }
    int rc = pupa_grow(&ev->codes, &ev->codes_cap, ev->ncodes + 1, sizeof *ev->codes);
    if (rc)
        return rc;
    if (!(ev->codes[ev->ncodes] = pupa_strndup(path, n)))
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    *out = (uint32_t)ev->ncodes++;
    return 0;
}

static int add_label(pupa_eval *ev, uint32_t unit, uint32_t code, int human)
{
    int rc = pupa_grow(&ev->labels, &ev->labels_cap, ev->nlabels + 1, sizeof *ev->labels);
    if (!rc)
        ev->labels[ev->nlabels++] = (label){unit, code, (uint8_t)human};
    return rc;
}

/* --------------------------------------------------------------- CSV */

typedef struct csv {
    const char *p, *end;
    const char *path;
    uint32_t row; /* 1-based line of the record being read */
    uint32_t line;
    pupa_buf field;
} csv;

/* Reads one record (RFC 4180: quoted fields may hold commas, quotes and
 * newlines).  Fields are NUL-terminated copies in c->field, pointed to by
 * f[].  Returns the number of fields, 0 at the end, or an error. */
static int csv_record(csv *c, char **f, size_t max)
{
    if (c->p >= c->end)
        return 0;
    c->row = c->line;
    c->field.len = 0;
    size_t starts[MAX_FIELDS], n = 0;
    int rc = 0;
    for (;;) {
        if (n == max)
            return pupa_fail(PUPA_EFORMAT, "%s:%u: more than %zu fields", c->path, c->row, max);
        starts[n++] = c->field.len;
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            for (;;) {
                if (c->p >= c->end)
                    return pupa_fail(PUPA_EFORMAT, "%s:%u: unterminated quoted field", c->path,
                                     c->row);
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        rc = pupa_buf_addc(&c->field, '"');
                        c->p += 2;
                        if (rc)
                            return rc;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (*c->p == '\n')
                    c->line++;
                if ((rc = pupa_buf_addc(&c->field, *c->p++)))
                    return rc;
            }
        } else {
            while (c->p < c->end && *c->p != ',' && *c->p != '\n')
                if (*c->p == '\r' && (c->p + 1 == c->end || c->p[1] == '\n'))
                    c->p++;
                else if ((rc = pupa_buf_addc(&c->field, *c->p++)))
                    return rc;
        }
        if ((rc = pupa_buf_addc(&c->field, '\0')))
            return rc;
        if (c->p < c->end && *c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '\n') {
            c->p++;
            c->line++;
        } else if (c->p < c->end)
            return pupa_fail(PUPA_EFORMAT, "%s:%u: text after a closing quote", c->path, c->row);
        break;
    }
    for (size_t i = 0; i < n; i++)
        f[i] = c->field.data + starts[i];
    return (int)n;
}

static int blank(char **f, int n)
{
    for (int i = 0; i < n; i++)
        for (const char *s = f[i]; *s; s++)
            if (*s != ' ' && *s != '\t')
                return 0;
    return 1;
}

enum { COL_DOC, COL_SEGMENT, COL_START, COL_END, COL_CODE, NCOLS };

static int column_of(const char *name)
{
    static const char *const names[][3] = {{"doc", "document", "file"},
                                           {"segment", "seg", "turn"},
                                           {"start", "from", NULL},
                                           {"end", "to", NULL},
                                           {"code", "codes", NULL}};
    for (int c = 0; c < NCOLS; c++)
        for (int k = 0; k < 3 && names[c][k]; k++)
            if (!strcasecmp(name, names[c][k]))
                return c;
    return -1;
}

/* ---------------------------------------------------------- documents */

typedef struct loader {
    pupa_eval *ev;
    const char *root;
    int lang;
    const pupa_read_opts *read;
    pupa_manifest *manifest;
} loader;

/* The document named in the gold file, read the first time it is named. */
static int doc_named(loader *ld, const char *name, csv *c, uint32_t *out)
{
    pupa_eval *ev = ld->ev;
    for (size_t i = 0; i < ev->ndocs; i++)
        if (!strcmp(ev->docs[i].name, name)) {
            *out = (uint32_t)i;
            return 0;
        }
    int rc = pupa_grow(&ev->docs, &ev->docs_cap, ev->ndocs + 1, sizeof *ev->docs);
    if (rc)
        return rc;
    evdoc *d = &ev->docs[ev->ndocs];
    *d = (evdoc){.name = pupa_strdup(name)};
    if (!d->name)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    ev->ndocs++;
    size_t flen = strcspn(name, "#");
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%.*s", ld->root, (int)flen, name) >= sizeof path)
        return pupa_fail(PUPA_EINVAL, "%s:%u: document path too long", c->path, c->row);
    char rel[4096];
    snprintf(rel, sizeof rel, "%.*s", (int)flen, name);
    if ((rc = pupa_file_read(&d->file, path, rel, ld->manifest, ld->read)))
        return rc;
    for (size_t k = 0; k < pupa_file_ndocs(d->file); k++)
        if (!strcmp(pupa_file_doc(d->file, k)->id, name))
            d->doc = pupa_file_doc(d->file, k);
    if (!d->doc)
        return pupa_fail(PUPA_ENOTFOUND, "%s:%u: no document '%s' in %s", c->path, c->row, name,
                         path);
    /* Its units: every coded segment, in order. */
    d->first_unit = (uint32_t)ev->nunits;
    for (size_t s = 0; s < d->doc->nsegs; s++) {
        const pupa_segment *seg = &d->doc->segs[s];
        if (seg->number == 0 || (ld->lang >= 0 && seg->lang != ld->lang))
            continue;
        if ((rc = pupa_grow(&ev->units, &ev->units_cap, ev->nunits + 1, sizeof *ev->units)))
            return rc;
        ev->units[ev->nunits++] = (unit){(uint32_t)(d - ev->docs), seg->number, seg};
        d->nunits++;
    }
    *out = (uint32_t)(d - ev->docs);
    return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!*s || *s == '-')
        return 0;
    unsigned long long x = strtoull(s, &end, 10);
    while (*end == ' ')
        end++;
    *v = x;
    return *end == '\0';
}

/* The unit a gold row points at, by segment number or by byte span. */
static int unit_of_row(loader *ld, csv *c, uint32_t d, char **f, const int *col, uint32_t *u)
{
    const evdoc *doc = &ld->ev->docs[d];
    uint64_t v = 0;
    if (col[COL_SEGMENT] >= 0 && *f[col[COL_SEGMENT]]) {
        uint32_t coded = 0;
        for (size_t s = 0; s < doc->doc->nsegs; s++)
            coded += doc->doc->segs[s].number > 0;
        if (!parse_u64(f[col[COL_SEGMENT]], &v) || v == 0 || v > coded)
            return pupa_fail(PUPA_EFORMAT, "%s:%u: segment '%s': %s has %u coded segments",
                             c->path, c->row, f[col[COL_SEGMENT]], doc->name, coded);
        for (uint32_t i = 0; i < doc->nunits; i++)
            if (ld->ev->units[doc->first_unit + i].segment == v) {
                *u = doc->first_unit + i;
                return 0;
            }
        *u = UINT32_MAX; /* a segment in another language: not a unit */
        return 0;
    }
    uint64_t end = 0;
    if (col[COL_START] < 0 || !parse_u64(f[col[COL_START]], &v) ||
        (col[COL_END] >= 0 && *f[col[COL_END]] && !parse_u64(f[col[COL_END]], &end)))
        return pupa_fail(PUPA_EFORMAT, "%s:%u: needs a segment, or a byte span start,end",
                         c->path, c->row);
    for (uint32_t i = 0; i < doc->nunits; i++) {
        const pupa_segment *s = ld->ev->units[doc->first_unit + i].seg;
        if (v >= s->start && v < s->end) {
            *u = doc->first_unit + i;
            return 0;
        }
    }
    return pupa_fail(PUPA_EFORMAT, "%s:%u: bytes %llu-%llu are in no coded segment of %s",
                     c->path, c->row, (unsigned long long)v, (unsigned long long)end, doc->name);
}

static int read_gold(loader *ld, const char *gold, const char *bytes, size_t len, int depth)
{
    csv c = {.p = bytes, .end = bytes + len, .path = gold, .line = 1};
    pupa_buf_init(&c.field, MAX_GOLD_BYTES);
    if (len >= 3 && !memcmp(bytes, "\xEF\xBB\xBF", 3))
        c.p += 3;
    char *f[MAX_FIELDS];
    int n = csv_record(&c, f, MAX_FIELDS), rc = n < 0 ? n : 0;
    int col[NCOLS] = {-1, -1, -1, -1, -1};
    for (int i = 0; i < n; i++) {
        int k = column_of(f[i]);
        if (k >= 0 && col[k] < 0)
            col[k] = i;
    }
    if (!rc && (n == 0 || col[COL_DOC] < 0 || col[COL_CODE] < 0 ||
                (col[COL_SEGMENT] < 0 && col[COL_START] < 0)))
        rc = pupa_fail(PUPA_EFORMAT, "%s:1: the header must name the columns doc, code, and "
                       "segment or start,end", gold);
    int width = n;
    while (!rc && (n = csv_record(&c, f, MAX_FIELDS)) > 0) {
        if (blank(f, n))
            continue;
        if (n < width) {
            rc = pupa_fail(PUPA_EFORMAT, "%s:%u: %d fields, the header has %d", gold, c.row, n,
                           width);
            break;
        }
        uint32_t d = 0, u = 0, code = 0;
        const char *name = f[col[COL_DOC]], *cp = f[col[COL_CODE]];
        while (*cp == ' ')
            cp++;
        size_t cl = strlen(cp);
        while (cl && (cp[cl - 1] == ' ' || cp[cl - 1] == '/'))
            cl--;
        if (!*name || !cl)
            rc = pupa_fail(PUPA_EFORMAT, "%s:%u: empty document or code", gold, c.row);
        if (!rc)
            rc = doc_named(ld, name, &c, &d);
        if (!rc)
            rc = unit_of_row(ld, &c, d, f, col, &u);
        if (!rc)
            rc = intern_code(ld->ev, cp, cl, depth, &code);
        if (!rc && u != UINT32_MAX)
            rc = add_label(ld->ev, u, code, 1);
    }
    if (n < 0)
        rc = n;
    pupa_buf_free(&c.field);
    return rc;
}

/* ------------------------------------------------------------ scoring */

static double ratio(uint32_t a, uint32_t b) { return b ? (double)a / b : NAN; }

static void score(pupa_eval_score *s)
{
    double n = (double)s->tp + s->fp + s->fn + s->tn;
    s->precision = ratio(s->tp, s->tp + s->fp);
    s->recall = ratio(s->tp, s->tp + s->fn);
    s->f1 = ratio(2 * s->tp, 2 * s->tp + s->fp + s->fn);
    s->kappa = NAN;
    if (n > 0) {
        double po = (s->tp + s->tn) / n,
               pe = (((double)s->tp + s->fp) * ((double)s->tp + s->fn) +
                     ((double)s->fn + s->tn) * ((double)s->fp + s->tn)) / (n * n);
        if (pe < 1)
            s->kappa = (po - pe) / (1 - pe);
    }
}

static int by_unit_code(const void *a, const void *b)
{
    const label *x = a, *y = b;
    if (x->unit != y->unit) return x->unit < y->unit ? -1 : 1;
    if (x->code != y->code) return x->code < y->code ? -1 : 1;
    return (int)y->human - (int)x->human;
}

static int by_name(const void *a, const void *b, void *names)
{
    char **n = names;
    return strcmp(n[*(const uint32_t *)a], n[*(const uint32_t *)b]);
}

static int tabulate(pupa_eval *ev)
{
    size_t nc = ev->ncodes;
    pupa_eval_score *s = calloc(nc + 1, sizeof *s);
    uint32_t *order = calloc(nc + 1, sizeof *order);
    if (!s || !order) {
        free(s);
        free(order);
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    if (ev->nlabels)
        qsort(ev->labels, ev->nlabels, sizeof *ev->labels, by_unit_code);
    int rc = 0;
    for (size_t i = 0; !rc && i < ev->nlabels;) {
        size_t j = i;
        int human = 0, machine = 0;
        for (; j < ev->nlabels && ev->labels[j].unit == ev->labels[i].unit &&
               ev->labels[j].code == ev->labels[i].code;
             j++)
            *(ev->labels[j].human ? &human : &machine) = 1;
        pupa_eval_score *c = &s[ev->labels[i].code];
        if (human && machine)
            c->tp++;
        else {
            human ? c->fn++ : c->fp++;
            const unit *u = &ev->units[ev->labels[i].unit];
            rc = pupa_grow(&ev->misses, &ev->misses_cap, ev->nmisses + 1, sizeof *ev->misses);
            if (!rc)
                ev->misses[ev->nmisses++] =
                    (pupa_eval_miss){.doc = ev->docs[u->doc].name, .segment = u->segment,
                                     .code = ev->codes[ev->labels[i].code], .human = human,
                                     .text = u->seg->text, .text_len = u->seg->len};
        }
        i = j;
    }
    /* Codes by name; misses already run by unit, i.e. document and segment. */
    for (size_t i = 0; i < nc; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, nc, sizeof *order, by_name, ev->codes);
    ev->scores = calloc(nc + 1, sizeof *ev->scores);
    if (!rc && !ev->scores)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    pupa_eval_score mi = {.code = "micro"}, ma = {.code = "macro"};
    double sums[4] = {0, 0, 0, 0};
    size_t used = 0, kappas = 0;
    for (size_t k = 0; !rc && k < nc; k++) {
        pupa_eval_score *c = &ev->scores[k];
        *c = s[order[k]];
        c->code = ev->codes[order[k]];
        c->tn = (uint32_t)ev->nunits - c->tp - c->fp - c->fn;
        score(c);
        mi.tp += c->tp, mi.fp += c->fp, mi.fn += c->fn, mi.tn += c->tn;
        ma.tp += c->tp, ma.fp += c->fp, ma.fn += c->fn, ma.tn += c->tn;
        if (c->tp + c->fn == 0)
            continue; /* not a code the humans used */
        used++;
        sums[0] += isnan(c->precision) ? 0 : c->precision;
        sums[1] += c->recall;
        sums[2] += isnan(c->f1) ? 0 : c->f1;
        if (!isnan(c->kappa))
            sums[3] += c->kappa, kappas++;
    }
    score(&mi);
    ma.precision = used ? sums[0] / used : NAN;
    ma.recall = used ? sums[1] / used : NAN;
    ma.f1 = used ? sums[2] / used : NAN;
    ma.kappa = kappas ? sums[3] / kappas : NAN;
    ev->micro = mi;
    ev->macro = ma;
    free(s);
    free(order);
    return rc;
}

/* ------------------------------------------------------------- driver */

static int code_units(pupa_eval *ev, const pupa_lexicon *lex, int depth)
{
    pupa_matcher *m = NULL;
    int rc = pupa_matcher_new(&m, lex);
    for (size_t u = 0; !rc && u < ev->nunits; u++) {
        const pupa_segment *seg = ev->units[u].seg;
        const pupa_hit *h;
        size_t n;
        if ((rc = pupa_match(m, seg->text, seg->len, &h, &n, NULL))) {
            rc = pupa_fail(rc, "%s segment %u: %s", ev->docs[ev->units[u].doc].name,
                           ev->units[u].segment, pupa_errmsg());
            break;
        }
        for (size_t i = 0; !rc && i < n; i++) {
            if (h[i].negated)
                continue;
            const char *code = pupa_lexicon_code(lex, h[i].code);
            uint32_t id;
            rc = intern_code(ev, code, strlen(code), depth, &id);
            if (!rc)
                rc = add_label(ev, (uint32_t)u, id, 0);
        }
    }
    pupa_matcher_free(m);
    return rc;
}

int pupa_eval_run(pupa_eval **out, const pupa_lexicon *lex, const char *gold_csv,
                  const pupa_eval_opts *opts)
{
    if (!out || !lex || !gold_csv || !opts)
        return pupa_fail(PUPA_EINVAL, "pupa_eval_run: NULL argument");
    *out = NULL;
    if (opts->depth < 0)
        return pupa_fail(PUPA_EINVAL, "pupa_eval_run: depth must be 0 or more");
    char root[4096];
    if (opts->root)
        snprintf(root, sizeof root, "%s", opts->root);
    else {
        const char *slash = strrchr(gold_csv, '/');
        snprintf(root, sizeof root, "%.*s", slash ? (int)(slash - gold_csv) : 1,
                 slash ? gold_csv : ".");
        if (slash == gold_csv)
            snprintf(root, sizeof root, "/");
    }
    char *bytes = NULL;
    size_t len = 0;
    int rc = pupa_read_all(gold_csv, MAX_GOLD_BYTES, &bytes, &len);
    if (rc)
        return rc;
    pupa_eval *ev = calloc(1, sizeof *ev);
    loader ld = {.ev = ev, .root = root, .lang = opts->lang, .read = &opts->read};
    if (!ev)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/manifest.csv", root);
    if (!rc) {
        rc = pupa_manifest_load(&ld.manifest, mpath);
        if (rc == PUPA_ENOTFOUND)
            rc = 0;
    }
    if (!rc)
        rc = read_gold(&ld, gold_csv, bytes, len, opts->depth);
    if (!rc)
        rc = code_units(ev, lex, opts->depth);
    if (!rc)
        rc = tabulate(ev);
    pupa_manifest_free(ld.manifest);
    free(bytes);
    if (rc) {
        pupa_eval_free(ev);
        return rc;
    }
    *out = ev;
    return 0;
}
