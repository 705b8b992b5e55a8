/*
 * cmd_table.c: pupa table: individuals / comments per code and column.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* =============================================================== table */

static void print_table_text(const pupa_table *t, const char *by, int depth)
{
    char buf[64];
    size_t w0 = strlen("code");
    for (size_t r = 0; r < t->nrows; r++)
        if (out_width(t->rows[r]) > w0) w0 = out_width(t->rows[r]);
    size_t *w = calloc(t->ncols + 1, sizeof *w);
    if (!w)
        return;
    for (size_t c = 0; c <= t->ncols; c++) {
        w[c] = out_width(c < t->ncols ? t->cols[c] : "Total");
        for (size_t r = 0; r < t->nrows; r++) {
            const pupa_cell *cell = c < t->ncols ? &t->cells[r * t->ncols + c] : &t->row_total[r];
            size_t n = (size_t)snprintf(buf, sizeof buf, "%u / %u", cell->individuals, cell->comments);
            if (n > w[c]) w[c] = n;
        }
    }
    printf("Codes at depth %d by %s; each cell: individuals / comments\n\n", depth, by);
    out_padded(stdout, "code", w0, 0);
    for (size_t c = 0; c <= t->ncols; c++) {
        fputs("  ", stdout);
        out_padded(stdout, c < t->ncols ? t->cols[c] : "Total", w[c], 1);
    }
    putchar('\n');
    for (size_t r = 0; r < t->nrows; r++) {
        out_padded(stdout, t->rows[r], w0, 0);
        for (size_t c = 0; c <= t->ncols; c++) {
            const pupa_cell *cell = c < t->ncols ? &t->cells[r * t->ncols + c] : &t->row_total[r];
            if (cell->individuals)
                snprintf(buf, sizeof buf, "%u / %u", cell->individuals, cell->comments);
            else
                snprintf(buf, sizeof buf, "-");
            fputs("  ", stdout);
            out_padded(stdout, buf, w[c], 1);
        }
        putchar('\n');
    }
    free(w);
}

static void print_table_rows(const pupa_table *t, int fmt, const char *by)
{
    char num[32];
    if (fmt == FMT_JSON) {
        printf("{\"by\":");
        out_json_str(stdout, by, strlen(by));
        printf(",\"columns\":[");
        for (size_t c = 0; c < t->ncols; c++) {
            if (c) putchar(',');
            out_json_str(stdout, t->cols[c], strlen(t->cols[c]));
        }
        printf("],\"rows\":[");
        for (size_t r = 0; r < t->nrows; r++) {
            printf("%s{\"code\":", r ? "," : "");
            out_json_str(stdout, t->rows[r], strlen(t->rows[r]));
            printf(",\"cells\":{");
            for (size_t c = 0; c < t->ncols; c++) {
                const pupa_cell *cell = &t->cells[r * t->ncols + c];
                if (c) putchar(',');
                out_json_str(stdout, t->cols[c], strlen(t->cols[c]));
                printf(":{\"individuals\":%u,\"comments\":%u}", cell->individuals, cell->comments);
            }
            printf("},\"total\":{\"individuals\":%u,\"comments\":%u}}", t->row_total[r].individuals,
                   t->row_total[r].comments);
        }
        printf("]}\n");
        return;
    }
    /* Long form, one row per cell: what R and pandas read most easily. */
    char sep = fmt == FMT_TSV ? '\t' : ',';
    printf("code%c", sep);
    out_field(stdout, fmt, by, strlen(by));
    printf("%cindividuals%ccomments\n", sep, sep);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c <= t->ncols; c++) {
            const pupa_cell *cell = c < t->ncols ? &t->cells[r * t->ncols + c] : &t->row_total[r];
            if (!cell->individuals)
                continue;
            out_field(stdout, fmt, t->rows[r], strlen(t->rows[r]));
            out_next_field(stdout, fmt, c < t->ncols ? t->cols[c] : "ALL",
                           strlen(c < t->ncols ? t->cols[c] : "ALL"));
            snprintf(num, sizeof num, "%c%u%c%u", sep, cell->individuals, sep, cell->comments);
            printf("%s\n", num);
        }
}

int cmd_table(int argc, char **argv)
{
    struct option opts[NFILTER_OPTIONS + 3];
    memcpy(opts, filter_options, sizeof filter_options);
    opts[NFILTER_OPTIONS] = (struct option){"depth", required_argument, 0, 3001};
    opts[NFILTER_OPTIONS + 1] = (struct option){"by", required_argument, 0, 3002};
    memset(&opts[NFILTER_OPTIONS + 2], 0, sizeof opts[0]);
    pupa_filter f;
    pupa_filter_init(&f);
    int fmt = FMT_TEXT, ch, depth = 1, lo, hi;
    const char *by = "group";
    while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (ch == 'h') {
            printf("usage: pupa table INDEX [--depth N] [--by group|year|KEY] [filters]\n"
                   "Rows are codes cut to depth N (default 1); columns are the values of a\n"
                   "metadata key (default group).  Each cell gives individuals (distinct\n"
                   "participants) and comments (segments) with a counted hit.\n%s",
                   filter_help);
            return 0;
        }
        if (ch == 3001) {
            parse_range("table", "--depth", optarg, &lo, &hi);
            if (lo < 1) die_usage("table", "--depth is at least 1");
            depth = lo;
        } else if (ch == 3002) {
            by = optarg;
        } else if (!filter_option("table", ch, &f, &fmt)) {
            die_usage("table", "unknown option");
        }
    }
    if (optind != argc - 1)
        die_usage("table", "give exactly one INDEX");
    pupa_index *ix = open_index(argv[optind]);
    if (!ix)
        return 1;
    pupa_table *t;
    int rc = pupa_table_build(ix, depth, by, &f, &t);
    if (rc) {
        report(argv[optind]);
    } else {
        if (fmt == FMT_TEXT)
            print_table_text(t, by, depth);
        else
            print_table_rows(t, fmt, by);
        pupa_table_free(t);
    }
    pupa_index_close(ix);
    return rc ? 1 : 0;
}

