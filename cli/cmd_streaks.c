/*
 * cmd_streaks.c: pupa streaks: participants with a code in at least N
 * consecutive years, and how many there are per group.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================= streaks */

static const char streaks_help[] =
    "usage: pupa streaks INDEX --code TERM [--min-years N] [--interviews]\n"
    "                    [--by KEY] [--summary] [filters]\n"
    "Lists the participants with TERM in N or more consecutive years (default 2),\n"
    "with their longest run and every year they have it, then counts them per\n"
    "value of KEY (default group): participants with the term in any year, and\n"
    "with a run.  A participant counts under each value she had in those years.\n"
    "Years are calendar years: a year without an interview breaks a run.  With\n"
    "--interviews, runs are consecutive interviews instead: a year without one\n"
    "is skipped.  TERM is a code pattern, or only:PATTERN (see pupa cooccur).\n"
    "--summary prints only the counts (for CSV and TSV, which hold one table).\n";

/* "2011,2012,2014" from years, or "Female SP; Female SP/RC" from strs. */
static void join(char *buf, size_t cap, size_t n, const int *years, char *const *strs)
{
    size_t w = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && w < cap; i++) {
        int k = years ? snprintf(buf + w, cap - w, "%s%d", i ? "," : "", years[i])
                      : snprintf(buf + w, cap - w, "%s%s", i ? "; " : "", strs[i]);
        if (k < 0)
            break;
        w += (size_t)k;
    }
}

static void print_text(const pupa_streaks *s, const char *term, int min, int interviews,
                       const char *by, int summary)
{
    char years[512], groups[512];
    if (!summary) {
        printf("Participants with %s in %d or more consecutive %s: %zu\n\n", term, min,
               interviews ? "interviews" : "years", s->n);
        grid g;
        grid_init(&g, 5);
        grid_add(&g, "participant");
        grid_add(&g, "longest run");
        grid_add(&g, "length");
        grid_add(&g, "years with the code");
        grid_add(&g, "%s", by);
        for (size_t i = 0; i < s->n; i++) {
            const pupa_streak *x = &s->items[i];
            join(years, sizeof years, x->nyears, x->years, NULL);
            join(groups, sizeof groups, x->ngroups, NULL, x->groups);
            grid_add(&g, "%s", x->participant);
            grid_add(&g, "%d-%d", x->first, x->last);
            grid_add(&g, "%u", x->length);
            grid_add(&g, "%s", years);
            grid_add(&g, "%s", groups);
        }
        grid_print(stdout, &g, 1);
        grid_free(&g);
        putchar('\n');
    }
    grid g;
    grid_init(&g, 3);
    grid_add(&g, "%s", by);
    grid_add(&g, "with the code");
    grid_add(&g, "with a run");
    for (size_t v = 0; v <= s->nvalues; v++) {
        int total = v == s->nvalues;
        grid_add(&g, "%s", total ? "Total" : s->values[v]);
        grid_add(&g, "%u", total ? s->with_term : s->per_value[v].units);
        grid_add(&g, "%u", total ? s->with_run : s->per_value[v].individuals);
    }
    grid_print(stdout, &g, 1);
    grid_free(&g);
}

static void print_json(const pupa_streaks *s, const char *term, int min, int interviews,
                       const char *by)
{
    printf("{\"term\":");
    out_json_opt(stdout, term);
    printf(",\"min_years\":%d,\"runs_of\":\"%s\",\"by\":", min, interviews ? "interviews" : "years");
    out_json_opt(stdout, by);
    printf(",\"participants\":[");
    for (size_t i = 0; i < s->n; i++) {
        const pupa_streak *x = &s->items[i];
        printf("%s{\"participant\":", i ? "," : "");
        out_json_opt(stdout, x->participant);
        printf(",\"first\":%d,\"last\":%d,\"length\":%u,\"years\":[", x->first, x->last, x->length);
        for (size_t k = 0; k < x->nyears; k++)
            printf("%s%d", k ? "," : "", x->years[k]);
        printf("],\"groups\":[");
        for (size_t k = 0; k < x->ngroups; k++) {
            if (k) putchar(',');
            out_json_opt(stdout, x->groups[k]);
        }
        printf("]}");
    }
    printf("],\"counts\":[");
    for (size_t v = 0; v < s->nvalues; v++) {
        printf("%s{\"value\":", v ? "," : "");
        out_json_opt(stdout, s->values[v]);
        printf(",\"with_code\":%u,\"with_run\":%u}", s->per_value[v].units,
               s->per_value[v].individuals);
    }
    printf("],\"with_code\":%u,\"with_run\":%u}\n", s->with_term, s->with_run);
}

static void print_long(const pupa_streaks *s, int fmt, const char *by, int summary)
{
    char a[16], b[16], c[16], years[512], groups[512];
    if (summary) {
        const char *f[3] = {by, "with_code", "with_run"};
        out_row(stdout, fmt, 3, f);
        for (size_t v = 0; v <= s->nvalues; v++) {
            int total = v == s->nvalues;
            snprintf(a, sizeof a, "%u", total ? s->with_term : s->per_value[v].units);
            snprintf(b, sizeof b, "%u", total ? s->with_run : s->per_value[v].individuals);
            f[0] = total ? "ALL" : s->values[v];
            f[1] = a;
            f[2] = b;
            out_row(stdout, fmt, 3, f);
        }
        return;
    }
    const char *f[6] = {"participant", "first", "last", "length", "years", by};
    out_row(stdout, fmt, 6, f);
    for (size_t i = 0; i < s->n; i++) {
        const pupa_streak *x = &s->items[i];
        snprintf(a, sizeof a, "%d", x->first);
        snprintf(b, sizeof b, "%d", x->last);
        snprintf(c, sizeof c, "%u", x->length);
        join(years, sizeof years, x->nyears, x->years, NULL);
        join(groups, sizeof groups, x->ngroups, NULL, x->groups);
        const char *r[6] = {x->participant, a, b, c, years, groups};
        out_row(stdout, fmt, 6, r);
    }
}

int cmd_streaks(int argc, char **argv)
{
    static const struct option extra[] = {
        {"min-years", required_argument, 0, 3301}, {"interviews", no_argument, 0, 3302},
        {"by", required_argument, 0, 3303}, {"summary", no_argument, 0, 3304},
    };
    struct option opts[NFILTER_OPTIONS + 4 + 1];
    query_options(opts, extra, 4);
    pupa_filter f;
    pupa_filter_init(&f);
    int fmt = FMT_TEXT, ch, lo, hi, summary = 0;
    pupa_streak_opts o = {NULL, 2, 0, "group"};
    while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (ch == 'h') {
            printf("%s%s", streaks_help, filter_help);
            return 0;
        }
        if (ch == 3301) {
            parse_range("streaks", "--min-years", optarg, &lo, &hi);
            if (lo < 1) die_usage("streaks", "--min-years is at least 1");
            o.min_years = lo;
        } else if (ch == 3302) {
            o.interviews = 1;
        } else if (ch == 3303) {
            o.by = optarg;
        } else if (ch == 3304) {
            summary = 1;
        } else if (!filter_option("streaks", ch, &f, &fmt)) {
            die_usage("streaks", "unknown option");
        }
    }
    if (optind != argc - 1)
        die_usage("streaks", "give exactly one INDEX");
    /* --code is the term here, not a filter on hits. */
    if (!f.code || !f.code[0])
        die_usage("streaks", "--code TERM is required");
    o.term = f.code;
    f.code = NULL;
    pupa_index *ix = open_index(argv[optind]);
    if (!ix)
        return 1;
    pupa_streaks *s;
    int rc = pupa_streaks_find(ix, &o, &f, &s);
    if (rc) {
        report(argv[optind]);
    } else {
        if (fmt == FMT_TEXT)
            print_text(s, o.term, o.min_years, o.interviews, o.by, summary);
        else if (fmt == FMT_JSON)
            print_json(s, o.term, o.min_years, o.interviews, o.by);
        else
            print_long(s, fmt, o.by, summary);
        pupa_streaks_free(s);
    }
    pupa_index_close(ix);
    return rc ? 1 : 0;
}
