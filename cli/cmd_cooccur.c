/*
 * cmd_cooccur.c: pupa cooccur: codes that occur together in a segment or
 * a participant-year, as a matrix or as the cross-reference of two terms
 * (A and B, A and not B, ..., "only:" terms).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================= cooccur */

static const char cooccur_help[] =
    "usage: pupa cooccur INDEX [--unit segment|participant-year] [--depth N]\n"
    "                    [--pair A B] [--count individuals|units|both] [filters]\n"
    "Without --pair: a matrix of the codes --code matches, cut to depth N\n"
    "(default 1): each cell counts the units (segments, or participant-years)\n"
    "with both codes and their individuals; the diagonal, units with the code.\n"
    "With --pair A B: units with A, with B, with both, with A and not B, with B\n"
    "and not A, and for participant-years those with neither and all in scope.\n"
    "A term is a code pattern (\"*\" any one component, \"a,b\" either), or\n"
    "only:PATTERN: the pattern's codes and none of their siblings, e.g.\n"
    "only:relationships/*/negative, a negative relationship and no other polarity.\n"
    "--unit defaults to segment.  --code is not used with --pair.\n";

static const char *unit_name(int unit, int plural)
{
    if (unit == PUPA_UNIT_SEGMENT)
        return plural ? "segments" : "segment";
    return plural ? "participant-years" : "participant-year";
}

static void json_count(const pupa_count *c, int count)
{
    count_json(stdout, c->individuals, "units", c->units, count);
}

/* The name of the second count column: what the unit is. */
static const char *units_name(int unit)
{
    return unit == PUPA_UNIT_SEGMENT ? "comments" : "participant_years";
}

static void print_matrix(const pupa_cooccur *m, int fmt, int count, int depth)
{
    size_t n = m->ncodes;
    char buf[2][16];
    if (fmt == FMT_TEXT) {
        printf("Codes at depth %d together in one %s; each cell: %s%s%s\n"
               "(the diagonal: %s with the code)\n\n",
               depth, unit_name(m->unit, 0), count & COUNT_INDIVIDUALS ? "individuals" : "",
               count == COUNT_BOTH ? " / " : "", count & COUNT_COMMENTS ? unit_name(m->unit, 1) : "",
               unit_name(m->unit, 1));
        grid g;
        grid_init(&g, n + 1);
        grid_add(&g, "code");
        for (size_t j = 0; j < n; j++)
            grid_add(&g, "%zu", j + 1);
        for (size_t i = 0; i < n; i++) {
            grid_add(&g, "%zu %s", i + 1, m->codes[i]);
            for (size_t j = 0; j < n; j++) {
                char cell[40];
                const pupa_count *c = &m->cells[i * n + j];
                count_text(cell, sizeof cell, c->individuals, c->units, count);
                grid_add(&g, "%s", cell);
            }
        }
        grid_print(stdout, &g, 1);
        grid_free(&g);
    } else if (fmt == FMT_JSON) {
        printf("{\"unit\":\"%s\",\"depth\":%d,\"codes\":[", unit_name(m->unit, 0), depth);
        for (size_t i = 0; i < n; i++) {
            if (i) putchar(',');
            out_json_opt(stdout, m->codes[i]);
        }
        printf("],\"cells\":[");
        for (size_t i = 0; i < n; i++) {
            printf("%s[", i ? "," : "");
            for (size_t j = 0; j < n; j++) {
                if (j) putchar(',');
                json_count(&m->cells[i * n + j], count);
            }
            putchar(']');
        }
        printf("]}\n");
    } else {
        /* Long form, each pair once (a <= b), the diagonal included. */
        const char *f[4] = {"code_a", "code_b"};
        out_row(stdout, fmt, count_header(f, 2, units_name(m->unit), count), f);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i; j < n; j++) {
                const pupa_count *c = &m->cells[i * n + j];
                if (!c->units)
                    continue;
                f[0] = m->codes[i];
                f[1] = m->codes[j];
                out_row(stdout, fmt, count_fields(f, 2, buf, c->individuals, c->units, count), f);
            }
    }
}

static void print_pair(const pupa_crossref *x, int unit, const char *a, const char *b, int fmt,
                       int count)
{
    char def[5][512];
    snprintf(def[0], sizeof def[0], "%s", a);
    snprintf(def[1], sizeof def[1], "%s", b);
    snprintf(def[2], sizeof def[2], "%s and %s", a, b);
    snprintf(def[3], sizeof def[3], "%s and not %s", a, b);
    snprintf(def[4], sizeof def[4], "%s and not %s", b, a);
    const char *names[7] = {"a", "b", "both", "a_not_b", "b_not_a", "neither", "scope"};
    const char *defs[7] = {def[0], def[1], def[2], def[3], def[4], "neither", "in scope"};
    const pupa_count *c[7] = {&x->a, &x->b, &x->both, &x->a_not_b, &x->b_not_a, &x->neither,
                              &x->scope};
    size_t nsets = unit == PUPA_UNIT_PARTICIPANT_YEAR ? 7 : 5;
    char buf[2][16];
    if (fmt == FMT_TEXT) {
        printf("Cross-reference by %s\n\n", unit_name(unit, 0));
        grid g;
        grid_init(&g, 2 + (count == COUNT_BOTH));
        grid_add(&g, "%s", "");
        if (count & COUNT_INDIVIDUALS) grid_add(&g, "individuals");
        if (count & COUNT_COMMENTS) grid_add(&g, "%s", unit_name(unit, 1));
        for (size_t i = 0; i < nsets; i++) {
            grid_add(&g, "%s", defs[i]);
            if (count & COUNT_INDIVIDUALS) grid_add(&g, "%u", c[i]->individuals);
            if (count & COUNT_COMMENTS) grid_add(&g, "%u", c[i]->units);
        }
        grid_print(stdout, &g, 1);
        grid_free(&g);
    } else if (fmt == FMT_JSON) {
        printf("{\"unit\":\"%s\",\"term_a\":", unit_name(unit, 0));
        out_json_opt(stdout, a);
        printf(",\"term_b\":");
        out_json_opt(stdout, b);
        for (size_t i = 0; i < nsets; i++) {
            printf(",\"%s\":", names[i]);
            json_count(c[i], count);
        }
        printf("}\n");
    } else {
        const char *f[4] = {"set", "definition"};
        out_row(stdout, fmt, count_header(f, 2, units_name(unit), count), f);
        for (size_t i = 0; i < nsets; i++) {
            f[0] = names[i];
            f[1] = defs[i];
            out_row(stdout, fmt, count_fields(f, 2, buf, c[i]->individuals, c[i]->units, count), f);
        }
    }
}

int cmd_cooccur(int argc, char **argv)
{
    static const struct option extra[] = {
        {"unit", required_argument, 0, 3201}, {"depth", required_argument, 0, 3202},
        {"pair", required_argument, 0, 3203}, {"count", required_argument, 0, 3204},
    };
    struct option opts[NFILTER_OPTIONS + 4 + 1];
    query_options(opts, extra, 4);
    pupa_filter f;
    pupa_filter_init(&f);
    int fmt = FMT_TEXT, ch, lo, hi, depth = 1, unit = PUPA_UNIT_SEGMENT, count = COUNT_BOTH;
    const char *a = NULL, *b = NULL;
    while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (ch == 'h') {
            printf("%s%s", cooccur_help, filter_help);
            return 0;
        }
        if (ch == 3201) {
            if (!strcmp(optarg, "segment")) unit = PUPA_UNIT_SEGMENT;
            else if (!strcmp(optarg, "participant-year")) unit = PUPA_UNIT_PARTICIPANT_YEAR;
            else die_usage("cooccur", "--unit is segment or participant-year");
        } else if (ch == 3202) {
            parse_range("cooccur", "--depth", optarg, &lo, &hi);
            if (lo < 1) die_usage("cooccur", "--depth is at least 1");
            depth = lo;
        } else if (ch == 3203) {
            /* --pair takes two words: the second is the next argument. */
            if (optind >= argc)
                die_usage("cooccur", "--pair takes two terms, A B");
            a = optarg;
            b = argv[optind++];
        } else if (ch == 3204) {
            count = parse_count("cooccur", optarg);
        } else if (!filter_option("cooccur", ch, &f, &fmt)) {
            die_usage("cooccur", "unknown option");
        }
    }
    if (optind != argc - 1)
        die_usage("cooccur", "give exactly one INDEX");
    pupa_index *ix = open_index(argv[optind]);
    if (!ix)
        return 1;
    int rc;
    if (a) {
        pupa_crossref x;
        if (!(rc = pupa_crossref_build(ix, unit, a, b, &f, &x)))
            print_pair(&x, unit, a, b, fmt, count);
    } else {
        pupa_cooccur *m;
        if (!(rc = pupa_cooccur_build(ix, unit, depth, &f, &m))) {
            print_matrix(m, fmt, count, depth);
            pupa_cooccur_free(m);
        }
    }
    if (rc)
        report(argv[optind]);
    pupa_index_close(ix);
    return rc ? 1 : 0;
}
