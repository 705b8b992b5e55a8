/*
 * cmd_timeline.c: pupa timeline: one participant's codes year by year,
 * with the first quote of each cell on request.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================ timeline */

static const char timeline_help[] =
    "usage: pupa timeline INDEX --participant P [--depth N] [--quotes] [filters]\n"
    "Shows P's codes, cut to depth N (default 1), in every year she was\n"
    "interviewed: each cell counts the comments (segments) with a counted hit.\n"
    "--quotes adds, for each cell, its first quote in document order.\n"
    "It reads only P's own keys of the index.\n";

static void print_text(const pupa_timeline *t, const char *participant, int depth, int quotes)
{
    printf("%s: codes at depth %d year by year; each cell: comments\n\n", participant, depth);
    grid g;
    grid_init(&g, t->nyears + 1);
    grid_add(&g, "%s", "");
    for (size_t y = 0; y < t->nyears; y++)
        grid_add(&g, "%d", t->years[y].year);
    grid_add(&g, "code");
    for (size_t y = 0; y < t->nyears; y++)
        grid_add(&g, "%s%s%s", t->years[y].group ? t->years[y].group : "",
                 t->years[y].age ? ", " : "", t->years[y].age ? t->years[y].age : "");
    for (size_t r = 0; r < t->nrows; r++) {
        grid_add(&g, "%s", t->rows[r]);
        for (size_t y = 0; y < t->nyears; y++) {
            uint32_t n = t->cells[r * t->nyears + y].comments;
            if (n)
                grid_add(&g, "%u", n);
            else
                grid_add(&g, "-");
        }
    }
    grid_print(stdout, &g, 1);
    grid_free(&g);
    if (!quotes)
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t y = 0; y < t->nyears; y++) {
            const pupa_timeline_cell *c = &t->cells[r * t->nyears + y];
            if (!c->doc)
                continue;
            printf("\n%d  %s\n  \"", t->years[y].year, t->rows[r]);
            out_marked(stdout, c->text, c->text_len, c->hit_start, c->hit_end);
            printf("\"\n  %s%s | %s | %s segment %u\n", c->code, c->negated ? " (negated)" : "",
                   c->entry, c->doc, c->segment);
        }
}

static void print_json(const pupa_timeline *t, const char *participant, int depth)
{
    printf("{\"participant\":");
    out_json_opt(stdout, participant);
    printf(",\"depth\":%d,\"years\":[", depth);
    for (size_t y = 0; y < t->nyears; y++) {
        printf("%s{\"year\":%d,\"group\":", y ? "," : "", t->years[y].year);
        out_json_opt(stdout, t->years[y].group);
        printf(",\"age\":");
        out_json_opt(stdout, t->years[y].age);
        putchar('}');
    }
    printf("],\"rows\":[");
    for (size_t r = 0; r < t->nrows; r++) {
        printf("%s{\"code\":", r ? "," : "");
        out_json_opt(stdout, t->rows[r]);
        printf(",\"cells\":[");
        for (size_t y = 0; y < t->nyears; y++) {
            const pupa_timeline_cell *c = &t->cells[r * t->nyears + y];
            printf("%s{\"year\":%d,\"comments\":%u", y ? "," : "", t->years[y].year, c->comments);
            if (c->doc) {
                printf(",\"quote\":{\"doc\":");
                out_json_opt(stdout, c->doc);
                printf(",\"segment\":%u,\"code\":", c->segment);
                out_json_opt(stdout, c->code);
                printf(",\"entry\":");
                out_json_opt(stdout, c->entry);
                printf(",\"negated\":%s,\"term\":", c->negated ? "true" : "false");
                out_json_str(stdout, c->text + c->hit_start, c->hit_end - c->hit_start);
                printf(",\"text\":");
                out_json_str(stdout, c->text, c->text_len);
                putchar('}');
            }
            putchar('}');
        }
        printf("]}");
    }
    printf("]}\n");
}

/* Long form: one record per non-empty cell. */
static void print_long(const pupa_timeline *t, const char *participant, int fmt, int quotes)
{
    const char *h[12] = {"participant", "year", "group", "age", "code", "comments",
                         "doc", "segment", "code_hit", "entry", "term", "text"};
    size_t n = quotes ? 12 : 6;
    out_row(stdout, fmt, n, h);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t y = 0; y < t->nyears; y++) {
            const pupa_timeline_cell *c = &t->cells[r * t->nyears + y];
            if (!c->comments)
                continue;
            char year[16], com[16], seg[16], *term = NULL;
            snprintf(year, sizeof year, "%d", t->years[y].year);
            snprintf(com, sizeof com, "%u", c->comments);
            snprintf(seg, sizeof seg, "%u", c->segment);
            if (c->doc)
                term = strndup(c->text + c->hit_start, c->hit_end - c->hit_start);
            const char *v[12] = {participant, year, t->years[y].group, t->years[y].age,
                                 t->rows[r], com, c->doc, c->doc ? seg : NULL, c->code,
                                 c->entry, term, c->text};
            out_row(stdout, fmt, n, v);
            free(term);
        }
}

int cmd_timeline(int argc, char **argv)
{
    static const struct option extra[] = {
        {"depth", required_argument, 0, 3401}, {"quotes", no_argument, 0, 3402},
    };
    struct option opts[NFILTER_OPTIONS + 2 + 1];
    query_options(opts, extra, 2);
    pupa_filter f;
    pupa_filter_init(&f);
    int fmt = FMT_TEXT, ch, lo, hi, depth = 1, quotes = 0;
    while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (ch == 'h') {
            printf("%s%s", timeline_help, filter_help);
            return 0;
        }
        if (ch == 3401) {
            parse_range("timeline", "--depth", optarg, &lo, &hi);
            if (lo < 1) die_usage("timeline", "--depth is at least 1");
            depth = lo;
        } else if (ch == 3402) {
            quotes = 1;
        } else if (!filter_option("timeline", ch, &f, &fmt)) {
            die_usage("timeline", "unknown option");
        }
    }
    if (optind != argc - 1)
        die_usage("timeline", "give exactly one INDEX");
    if (!f.participant || !f.participant[0])
        die_usage("timeline", "--participant P is required");
    pupa_index *ix = open_index(argv[optind]);
    if (!ix)
        return 1;
    pupa_timeline *t;
    int rc = pupa_timeline_build(ix, f.participant, depth, quotes, &f, &t);
    if (rc) {
        report(argv[optind]);
    } else {
        if (fmt == FMT_TEXT)
            print_text(t, f.participant, depth, quotes);
        else if (fmt == FMT_JSON)
            print_json(t, f.participant, depth);
        else
            print_long(t, f.participant, fmt, quotes);
        pupa_timeline_free(t);
    }
    pupa_index_close(ix);
    return rc ? 1 : 0;
}
