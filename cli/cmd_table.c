/*
 * cmd_table.c: pupa table: individuals / comments per code and column,
 * columns crossing metadata keys and code levels (the study's Tables 7, 9
 * and 11).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* =============================================================== table */

static const char table_help[] =
    "usage: pupa table INDEX [--depth N] [--by KEY]... [--cross NAME[=LEVEL]]\n"
    "                  [--count individuals|comments|both] [filters]\n"
    "Rows are codes cut to depth N (default 1), under --code when given.  Columns\n"
    "are the values of metadata keys: --by group (the default), year, gender,\n"
    "setting, participant or any key of the transcripts' headers.  --cross NAME\n"
    "crosses the columns with a level of the code itself: the path component\n"
    "after the row's (or the LEVEL-th), e.g. positive/negative, under the heading\n"
    "NAME.  Repeat --by to cross keys; columns nest in the order given.\n"
    "A cell counts individuals (distinct participants) and comments (segments)\n"
    "with a counted hit; Total counts each once over the columns or rows.\n"
    "CSV and TSV are long: one record per non-empty cell, ALL for totals.\n";

typedef struct table_opts {
    int count, depth;
    const char *what; /* the heading: "depth 2 by setting x polarity" */
} table_opts;

/* One header line per dimension; a value is shown where it changes, so an
 * outer dimension heads the group of columns under it. */
static void header_lines(grid *g, const pupa_table *t)
{
    size_t nd = t->ndims ? t->ndims : 1;
    for (size_t d = 0; d < nd; d++) {
        int lastline = d + 1 == nd;
        grid_add(g, "%s", lastline ? "code" : "");
        for (size_t c = 0; c < t->ncols; c++) {
            int show = lastline;
            for (size_t e = 0; e <= d && !show && t->ndims; e++)
                show = c == 0 || strcmp(t->col_values[c * t->ndims + e],
                                        t->col_values[(c - 1) * t->ndims + e]) != 0;
            grid_add(g, "%s", !show ? "" : t->ndims ? t->col_values[c * t->ndims + d] : t->cols[c]);
        }
        grid_add(g, "%s", lastline ? "Total" : "");
    }
}

static void print_text(const pupa_table *t, const table_opts *o)
{
    static const char *const what[] = {"", "individuals", "comments", "individuals / comments"};
    char buf[64];
    printf("Codes at %s; each cell: %s\n\n", o->what, what[o->count]);
    grid g;
    grid_init(&g, t->ncols + 2);
    header_lines(&g, t);
    for (size_t r = 0; r <= t->nrows; r++) {
        int total = r == t->nrows;
        grid_add(&g, "%s", total ? "Total" : t->rows[r]);
        for (size_t c = 0; c <= t->ncols; c++) {
            const pupa_cell *cell = c == t->ncols ? (total ? &t->total : &t->row_total[r])
                                    : total       ? &t->col_total[c]
                                                  : &t->cells[r * t->ncols + c];
            count_text(buf, sizeof buf, cell->individuals, cell->comments, o->count);
            grid_add(&g, "%s", buf);
        }
    }
    grid_print(stdout, &g, 1);
    grid_free(&g);
}

static void json_cell(const pupa_cell *c, int count)
{
    count_json(stdout, c->individuals, "comments", c->comments, count);
}

static void print_json(const pupa_table *t, const table_opts *o)
{
    printf("{\"depth\":%d,\"by\":[", o->depth);
    for (size_t d = 0; d < t->ndims; d++) {
        if (d) putchar(',');
        out_json_opt(stdout, t->dims[d]);
    }
    printf("],\"columns\":[");
    for (size_t c = 0; c < t->ncols; c++) {
        printf("%s{\"label\":", c ? "," : "");
        out_json_opt(stdout, t->cols[c]);
        printf(",\"values\":{");
        for (size_t d = 0; d < t->ndims; d++) {
            if (d) putchar(',');
            out_json_opt(stdout, t->dims[d]);
            putchar(':');
            out_json_opt(stdout, t->col_values[c * t->ndims + d]);
        }
        printf("},\"total\":");
        json_cell(&t->col_total[c], o->count);
        putchar('}');
    }
    printf("],\"rows\":[");
    for (size_t r = 0; r < t->nrows; r++) {
        printf("%s{\"code\":", r ? "," : "");
        out_json_opt(stdout, t->rows[r]);
        printf(",\"cells\":[");
        for (size_t c = 0; c < t->ncols; c++) {
            if (c) putchar(',');
            json_cell(&t->cells[r * t->ncols + c], o->count);
        }
        printf("],\"total\":");
        json_cell(&t->row_total[r], o->count);
        putchar('}');
    }
    printf("],\"total\":");
    json_cell(&t->total, o->count);
    printf("}\n");
}

/* Long form, one record per non-empty cell: what R and pandas read best. */
static void print_long(const pupa_table *t, const table_opts *o, int fmt)
{
    const char *f[4 + 8];
    size_t n = 0;
    char buf[2][16];
    f[n++] = "code";
    for (size_t d = 0; d < t->ndims && n < 10; d++)
        f[n++] = t->dims[d];
    out_row(stdout, fmt, count_header(f, n, "comments", o->count), f);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c <= t->ncols; c++) {
            const pupa_cell *cell = c < t->ncols ? &t->cells[r * t->ncols + c] : &t->row_total[r];
            if (!cell->individuals)
                continue;
            n = 0;
            f[n++] = t->rows[r];
            for (size_t d = 0; d < t->ndims && n < 10; d++)
                f[n++] = c < t->ncols ? t->col_values[c * t->ndims + d] : "ALL";
            out_row(stdout, fmt,
                    count_fields(f, n, buf, cell->individuals, cell->comments, o->count), f);
        }
}

#define MAX_TABLE_DIMS 8

int cmd_table(int argc, char **argv)
{
    static const struct option extra[] = {
        {"depth", required_argument, 0, 3001}, {"by", required_argument, 0, 3002},
        {"cross", required_argument, 0, 3003}, {"count", required_argument, 0, 3004},
    };
    struct option opts[NFILTER_OPTIONS + 4 + 1];
    query_options(opts, extra, 4);
    pupa_filter f;
    pupa_filter_init(&f);
    pupa_dim dims[MAX_TABLE_DIMS];
    size_t ndims = 0;
    int fmt = FMT_TEXT, ch, lo, hi;
    table_opts o = {COUNT_BOTH, 1, NULL};
    while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (ch == 'h') {
            printf("%s%s", table_help, filter_help);
            return 0;
        }
        if ((ch == 3002 || ch == 3003) && ndims == MAX_TABLE_DIMS)
            die_usage("table", "at most 8 --by and --cross");
        if (ch == 3001) {
            parse_range("table", "--depth", optarg, &lo, &hi);
            if (lo < 1) die_usage("table", "--depth is at least 1");
            o.depth = lo;
        } else if (ch == 3002) {
            dims[ndims++] = (pupa_dim){PUPA_DIM_META, optarg, 0};
        } else if (ch == 3003) {
            /* NAME or NAME=LEVEL; level 0 until --depth is known. */
            char *eq = strchr(optarg, '=');
            int level = 0;
            if (eq) {
                *eq = '\0';
                parse_range("table", "--cross NAME=LEVEL", eq + 1, &level, &hi);
                if (level < 1) die_usage("table", "--cross LEVEL is at least 1");
            }
            if (!optarg[0]) die_usage("table", "--cross needs a NAME");
            dims[ndims++] = (pupa_dim){PUPA_DIM_CODE, optarg, level};
        } else if (ch == 3004) {
            o.count = parse_count("table", optarg);
        } else if (!filter_option("table", ch, &f, &fmt)) {
            die_usage("table", "unknown option");
        }
    }
    if (optind != argc - 1)
        die_usage("table", "give exactly one INDEX");
    if (!ndims)
        dims[ndims++] = (pupa_dim){PUPA_DIM_META, "group", 0};
    char what[512];
    int w = snprintf(what, sizeof what, "depth %d by ", o.depth);
    for (size_t d = 0; d < ndims; d++) {
        if (dims[d].kind == PUPA_DIM_CODE && !dims[d].level)
            dims[d].level = o.depth + 1;
        if (w > 0 && (size_t)w < sizeof what)
            w += snprintf(what + w, sizeof what - (size_t)w, "%s%s", d ? " x " : "", dims[d].name);
    }
    o.what = what;
    pupa_index *ix = open_index(argv[optind]);
    if (!ix)
        return 1;
    pupa_table *t;
    pupa_table_spec spec = {o.depth, dims, ndims};
    int rc = pupa_table_query(ix, &spec, &f, &t);
    if (rc) {
        report(argv[optind]);
    } else {
        if (fmt == FMT_TEXT)
            print_text(t, &o);
        else if (fmt == FMT_JSON)
            print_json(t, &o);
        else
            print_long(t, &o, fmt);
        pupa_table_free(t);
    }
    pupa_index_close(ix);
    return rc ? 1 : 0;
}
