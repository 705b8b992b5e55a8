/*
 * cmd_quotes.c: pupa quotes: attributed quotes with the matched words
 * marked, and the turns around them on request (--context N).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================== quotes */

typedef struct quotes_ctx {
    int fmt;
    size_t n;
    uint32_t context;
} quotes_ctx;

/* Context turns for text: "    SPEAKER: text", a paragraph without label. */
static void context_text(const pupa_turn *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("    %s%s%.*s\n", t[i].speaker ? t[i].speaker : "", t[i].speaker ? ": " : "",
               (int)t[i].text_len, t[i].text);
}

/* Context turns for JSON: [{"turn":..,"segment":..,"speaker":..,"text":..}]. */
static void context_json(const char *name, const pupa_turn *t, size_t n)
{
    printf(",\"%s\":[", name);
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"turn\":%u,\"segment\":%u,\"speaker\":", i ? "," : "", t[i].turn,
               t[i].segment);
        out_json_opt(stdout, t[i].speaker);
        printf(",\"text\":");
        out_json_str(stdout, t[i].text, t[i].text_len);
        putchar('}');
    }
    putchar(']');
}

/* Context turns for CSV/TSV: one field, "SPEAKER: text" per line. */
static void context_field(int fmt, const pupa_turn *t, size_t n)
{
    char *s = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&s, &len);
    if (!m)
        return;
    for (size_t i = 0; i < n; i++)
        fprintf(m, "%s%s%s%.*s", i ? "\n" : "", t[i].speaker ? t[i].speaker : "",
                t[i].speaker ? ": " : "", (int)t[i].text_len, t[i].text);
    fclose(m);
    out_next_field(stdout, fmt, s, len);
    free(s);
}

/* "Female Survivor, Age 19, 2013 (P017)", as the study attributes quotes. */
static void attribution(char *out, size_t cap, const pupa_quote *q)
{
    char who[64] = "Survivor", age[32] = "";
    if (q->gender && q->gender[0]) {
        snprintf(who, sizeof who, "%c%s Survivor", q->gender[0] >= 'a' && q->gender[0] <= 'z'
                                                       ? q->gender[0] - 'a' + 'A' : q->gender[0],
                 q->gender + 1);
    }
    if (q->age && q->age[0])
        snprintf(age, sizeof age, ", Age %s", q->age);
    snprintf(out, cap, "%s%s, %d (%s)", who, age, q->year, q->participant);
}

static int print_quote(void *ctx, const pupa_quote *q)
{
    quotes_ctx *c = ctx;
    char attr[256], num[64];
    attribution(attr, sizeof attr, q);
    int f = c->fmt;
    if (f == FMT_TEXT) {
        printf("%s%s\n", c->n ? "\n" : "", attr);
        context_text(q->before, q->nbefore);
        printf("  \"");
        out_marked(stdout, q->text, q->text_len, q->hit_start, q->hit_end);
        printf("\"\n");
        context_text(q->after, q->nafter);
        printf("  %s%s | %s | %s segment %u, bytes %llu-%llu\n", q->code,
               q->negated ? " (negated)" : "", q->entry, q->doc, q->segment,
               (unsigned long long)q->start, (unsigned long long)q->end);
    } else if (f == FMT_JSON) {
        printf("{\"attribution\":");
        out_json_str(stdout, attr, strlen(attr));
        printf(",\"participant\":");
        out_json_str(stdout, q->participant, strlen(q->participant));
        printf(",\"year\":%d,\"group\":", q->year);
        if (q->group) out_json_str(stdout, q->group, strlen(q->group)); else fputs("null", stdout);
        printf(",\"doc\":");
        out_json_str(stdout, q->doc, strlen(q->doc));
        printf(",\"segment\":%u,\"lang\":\"%s\",\"code\":", q->segment, pupa_lang_name(q->lang));
        out_json_str(stdout, q->code, strlen(q->code));
        printf(",\"entry\":");
        out_json_str(stdout, q->entry, strlen(q->entry));
        printf(",\"term\":");
        out_json_str(stdout, q->text + q->hit_start, q->hit_end - q->hit_start);
        printf(",\"start\":%llu,\"end\":%llu,\"negated\":%s,\"text\":",
               (unsigned long long)q->start, (unsigned long long)q->end, q->negated ? "true" : "false");
        out_json_str(stdout, q->text, q->text_len);
        if (c->context) {
            context_json("before", q->before, q->nbefore);
            context_json("after", q->after, q->nafter);
        }
        printf("}\n");
    } else {
        if (c->n == 0) {
            const char *cols[] = {"attribution", "participant", "year", "group", "doc", "segment",
                                  "lang", "code", "entry", "term", "start", "end", "negated", "text",
                                  "before", "after"};
            out_row(stdout, f, sizeof cols / sizeof *cols - (c->context ? 0 : 2), cols);
        }
        out_field(stdout, f, attr, strlen(attr));
        out_next_field(stdout, f, q->participant, strlen(q->participant));
        snprintf(num, sizeof num, "%d", q->year);
        out_next_field(stdout, f, num, strlen(num));
        out_next_field(stdout, f, q->group ? q->group : "", q->group ? strlen(q->group) : 0);
        out_next_field(stdout, f, q->doc, strlen(q->doc));
        snprintf(num, sizeof num, "%u", q->segment);
        out_next_field(stdout, f, num, strlen(num));
        out_next_field(stdout, f, pupa_lang_name(q->lang), strlen(pupa_lang_name(q->lang)));
        out_next_field(stdout, f, q->code, strlen(q->code));
        out_next_field(stdout, f, q->entry, strlen(q->entry));
        out_next_field(stdout, f, q->text + q->hit_start, q->hit_end - q->hit_start);
        snprintf(num, sizeof num, "%llu", (unsigned long long)q->start);
        out_next_field(stdout, f, num, strlen(num));
        snprintf(num, sizeof num, "%llu", (unsigned long long)q->end);
        out_next_field(stdout, f, num, strlen(num));
        out_next_field(stdout, f, q->negated ? "true" : "false", q->negated ? 4 : 5);
        out_next_field(stdout, f, q->text, q->text_len);
        if (c->context) {
            context_field(f, q->before, q->nbefore);
            context_field(f, q->after, q->nafter);
        }
        printf("\n");
    }
    c->n++;
    return 0;
}

int cmd_quotes(int argc, char **argv)
{
    static const struct option extra[] = {
        {"context", required_argument, 0, 3101},
    };
    struct option opts[NFILTER_OPTIONS + 1 + 1];
    query_options(opts, extra, 1);
    pupa_filter f;
    pupa_filter_init(&f);
    int fmt = FMT_TEXT, ch;
    while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (ch == 'h') {
            printf("usage: pupa quotes INDEX [--context N] [filters]\n"
                   "Prints every matching hit with its attribution and the matched words\n"
                   "marked **like this**, ordered by participant, year, document, segment,\n"
                   "then position.  --context N adds the N turns before and after the\n"
                   "segment, interviewer turns included.\n%s",
                   filter_help);
            return 0;
        }
        if (ch == 3101) {
            int lo, hi;
            parse_range("quotes", "--context", optarg, &lo, &hi);
            f.context = (uint32_t)lo;
        } else if (!filter_option("quotes", ch, &f, &fmt))
            die_usage("quotes", "unknown option");
    }
    if (optind != argc - 1)
        die_usage("quotes", "give exactly one INDEX");
    pupa_index *ix = open_index(argv[optind]);
    if (!ix)
        return 1;
    quotes_ctx c = {.fmt = fmt, .context = f.context};
    int rc = pupa_quotes(ix, &f, print_quote, &c);
    if (rc)
        report(argv[optind]);
    pupa_index_close(ix);
    return rc ? 1 : 0;
}

