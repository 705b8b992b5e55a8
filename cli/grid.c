/*
 * grid.c: what the query commands (table, cooccur, streaks, timeline,
 * quotes) share to write their answers: aligned text grids, CSV/TSV
 * records, marked quotes and the --count option.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void grid_init(grid *g, size_t ncols)
{
    memset(g, 0, sizeof *g);
    g->ncols = ncols ? ncols : 1;
}

void grid_add(grid *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        char **cells = realloc(g->cells, cap * sizeof *cells);
        if (!cells) {
            free(s);
            return;
        }
        g->cells = cells;
        g->cap = cap;
    }
    g->cells[g->n++] = s;
}

void grid_print(FILE *f, const grid *g, size_t left)
{
    size_t *w = calloc(g->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t i = 0; i < g->n; i++) {
        size_t cw = out_width(g->cells[i]);
        if (cw > w[i % g->ncols])
            w[i % g->ncols] = cw;
    }
    for (size_t row = 0; row < g->n; row += g->ncols) {
        size_t end = row + g->ncols < g->n ? row + g->ncols : g->n, stop = end;
        while (stop > row + 1 && !g->cells[stop - 1][0])
            stop--; /* no trailing blanks after the last cell with text */
        for (size_t i = row; i < stop; i++) {
            size_t c = i - row;
            if (c)
                fputs("  ", f);
            if (c < left && i + 1 == stop)
                fputs(g->cells[i], f);
            else
                out_padded(f, g->cells[i], w[c], c >= left);
        }
        putc('\n', f);
    }
    free(w);
}

void grid_free(grid *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->cells[i]);
    free(g->cells);
    memset(g, 0, sizeof *g);
}

void out_row(FILE *f, int fmt, size_t n, const char *const *fields)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = fields[i] ? fields[i] : "";
        if (i)
            out_next_field(f, fmt, s, strlen(s));
        else
            out_field(f, fmt, s, strlen(s));
    }
    /* RFC 4180 ends records with CRLF, but R, pandas and spreadsheets read
     * LF, and every other output of pupa uses it. */
    putc('\n', f);
}

void out_marked(FILE *f, const char *text, size_t len, size_t hs, size_t he)
{
    if (he > len)
        he = len;
    if (hs > he)
        hs = he;
    fprintf(f, "%.*s**%.*s**%.*s", (int)hs, text, (int)(he - hs), text + hs, (int)(len - he),
            text + he);
}

void out_json_opt(FILE *f, const char *s)
{
    if (s)
        out_json_str(f, s, strlen(s));
    else
        fputs("null", f);
}

void query_options(struct option *opts, const struct option *extra, size_t n)
{
    memcpy(opts, filter_options, sizeof filter_options);
    memcpy(opts + NFILTER_OPTIONS, extra, n * sizeof *extra);
    memset(&opts[NFILTER_OPTIONS + n], 0, sizeof *opts);
}

int parse_count(const char *cmd, const char *s)
{
    if (!strcmp(s, "both"))
        return COUNT_BOTH;
    if (!strcmp(s, "individuals"))
        return COUNT_INDIVIDUALS;
    if (!strcmp(s, "comments") || !strcmp(s, "units"))
        return COUNT_COMMENTS;
    die_usage(cmd, "--count is individuals, comments or both");
}

void count_text(char *buf, size_t cap, uint32_t individuals, uint32_t units, int count)
{
    if (!individuals && !units)
        snprintf(buf, cap, "-");
    else if (count == COUNT_INDIVIDUALS)
        snprintf(buf, cap, "%u", individuals);
    else if (count == COUNT_COMMENTS)
        snprintf(buf, cap, "%u", units);
    else
        snprintf(buf, cap, "%u / %u", individuals, units);
}

size_t count_header(const char **f, size_t n, const char *name, int count)
{
    if (count & COUNT_INDIVIDUALS)
        f[n++] = "individuals";
    if (count & COUNT_COMMENTS)
        f[n++] = name;
    return n;
}

size_t count_fields(const char **f, size_t n, char (*buf)[16], uint32_t individuals,
                    uint32_t units, int count)
{
    snprintf(buf[0], 16, "%u", individuals);
    snprintf(buf[1], 16, "%u", units);
    if (count & COUNT_INDIVIDUALS)
        f[n++] = buf[0];
    if (count & COUNT_COMMENTS)
        f[n++] = buf[1];
    return n;
}

void count_json(FILE *f, uint32_t individuals, const char *name, uint32_t units, int count)
{
    putc('{', f);
    if (count & COUNT_INDIVIDUALS)
        fprintf(f, "\"individuals\":%u", individuals);
    if (count == COUNT_BOTH)
        putc(',', f);
    if (count & COUNT_COMMENTS)
        fprintf(f, "\"%s\":%u", name, units);
    putc('}', f);
}
