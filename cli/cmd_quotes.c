/*
 * cmd_quotes.c: pupa quotes: attributed quotes with the matched words marked.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================== quotes */

typedef struct quotes_ctx {
    int fmt;
    size_t n;
} quotes_ctx;

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
        printf("%s%s\n  \"%.*s**%.*s**%.*s\"\n  %s%s | %s | %s segment %u, bytes %llu-%llu\n",
               c->n ? "\n" : "", attr, (int)q->hit_start, q->text,
               (int)(q->hit_end - q->hit_start), q->text + q->hit_start,
               (int)(q->text_len - q->hit_end), q->text + q->hit_end, q->code,
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
        printf("}\n");
    } else {
        if (c->n == 0) {
            const char *cols[] = {"attribution", "participant", "year", "group", "doc", "segment",
                                  "lang", "code", "entry", "term", "start", "end", "negated", "text"};
            for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
                printf("%s%s", i ? (f == FMT_TSV ? "\t" : ",") : "", cols[i]);
            printf("\n");
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
        printf("\n");
    }
    c->n++;
    return 0;
}

int cmd_quotes(int argc, char **argv)
{
    struct option opts[NFILTER_OPTIONS + 1];
    memcpy(opts, filter_options, sizeof filter_options);
    memset(&opts[NFILTER_OPTIONS], 0, sizeof opts[0]);
    pupa_filter f;
    pupa_filter_init(&f);
    int fmt = FMT_TEXT, ch;
    while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (ch == 'h') {
            printf("usage: pupa quotes INDEX [filters]\n"
                   "Prints every matching hit with its attribution and the matched words\n"
                   "marked **like this**, ordered by participant, year, document, segment.\n%s",
                   filter_help);
            return 0;
        }
        if (!filter_option("quotes", ch, &f, &fmt))
            die_usage("quotes", "unknown option");
    }
    if (optind != argc - 1)
        die_usage("quotes", "give exactly one INDEX");
    pupa_index *ix = open_index(argv[optind]);
    if (!ix)
        return 1;
    quotes_ctx c = {.fmt = fmt};
    int rc = pupa_quotes(ix, &f, print_quote, &c);
    if (rc)
        report(argv[optind]);
    pupa_index_close(ix);
    return rc ? 1 : 0;
}

