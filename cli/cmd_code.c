/*
 * cmd_code.c: pupa code: codes transcript files without an index and prints
 * one record per coded segment (JSON, the contract's shape) or per hit.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>

/* ================================================================ code */

typedef struct code_ctx {
    const pupa_lexicon *lex;
    pupa_matcher *m;
    int fmt;
    int header_done;
} code_ctx;

static void print_code_row_header(code_ctx *c)
{
    if (c->header_done || (c->fmt != FMT_CSV && c->fmt != FMT_TSV))
        return;
    const char *cols[] = {"doc", "participant", "year", "segment", "speaker", "lang",
                          "code", "entry", "term", "start", "end", "negated"};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
        if (i) fputc(c->fmt == FMT_TSV ? '\t' : ',', stdout);
        fputs(cols[i], stdout);
    }
    fputc('\n', stdout);
    c->header_done = 1;
}

static void print_entry_where(FILE *f, const pupa_entry *e, int fmt)
{
    char where[PATH_MAX + 32];
    int n = snprintf(where, sizeof where, "%s:%u", e->file, e->line);
    if (fmt == FMT_JSON)
        out_json_str(f, where, (size_t)n);
    else
        out_field(f, fmt, where, (size_t)n);
}

static int code_segment(code_ctx *c, const pupa_doc *doc, const pupa_segment *seg)
{
    const pupa_hit *hits;
    size_t nhits;
    int rc = pupa_match(c->m, seg->text, seg->len, &hits, &nhits, NULL);
    if (rc)
        return rc;
    size_t base = (size_t)(seg->text - doc->text);
    char num[32];
    if (c->fmt == FMT_JSON) {
        printf("{\"doc\":");
        out_json_str(stdout, doc->id, strlen(doc->id));
        printf(",\"participant\":");
        out_json_str(stdout, doc->participant, strlen(doc->participant));
        printf(",\"year\":%d,\"segment\":%u,\"speaker\":", doc->year, seg->number);
        if (seg->speaker)
            out_json_str(stdout, seg->speaker, strlen(seg->speaker));
        else
            fputs("null", stdout);
        printf(",\"lang\":\"%s\",\"start\":%llu,\"end\":%llu,\"codes\":[", pupa_lang_name(seg->lang),
               (unsigned long long)seg->start, (unsigned long long)seg->end);
        for (size_t i = 0; i < nhits; i++) {
            const pupa_hit *h = &hits[i];
            const pupa_entry *e = pupa_lexicon_entry(c->lex, h->entry);
            const char *code = pupa_lexicon_code(c->lex, h->code);
            printf("%s{\"code\":", i ? "," : "");
            out_json_str(stdout, code, strlen(code));
            printf(",\"entry\":");
            print_entry_where(stdout, e, FMT_JSON);
            printf(",\"term\":");
            out_json_str(stdout, seg->text + h->start, h->end - h->start);
            printf(",\"start\":%llu,\"end\":%llu,\"negated\":%s}",
                   (unsigned long long)pupa_doc_file_offset(doc, base + h->start),
                   (unsigned long long)pupa_doc_file_offset(doc, base + h->end),
                   h->negated ? "true" : "false");
        }
        printf("]}\n");
        return 0;
    }
    for (size_t i = 0; i < nhits; i++) {
        const pupa_hit *h = &hits[i];
        const pupa_entry *e = pupa_lexicon_entry(c->lex, h->entry);
        const char *code = pupa_lexicon_code(c->lex, h->code);
        unsigned long long fs = pupa_doc_file_offset(doc, base + h->start);
        unsigned long long fe = pupa_doc_file_offset(doc, base + h->end);
        if (c->fmt == FMT_TEXT) {
            printf("%s:%u [%s] %s%s \"%.*s\" (%s:%u, bytes %llu-%llu)\n", doc->id, seg->number,
                   pupa_lang_name(seg->lang), code, h->negated ? " NEGATED" : "",
                   (int)(h->end - h->start), seg->text + h->start, e->file, e->line, fs, fe);
            continue;
        }
        print_code_row_header(c);
        int f = c->fmt;
        out_field(stdout, f, doc->id, strlen(doc->id));
        out_next_field(stdout, f, doc->participant, strlen(doc->participant));
        snprintf(num, sizeof num, "%d", doc->year);
        out_next_field(stdout, f, num, strlen(num));
        snprintf(num, sizeof num, "%u", seg->number);
        out_next_field(stdout, f, num, strlen(num));
        out_next_field(stdout, f, seg->speaker ? seg->speaker : "", seg->speaker ? strlen(seg->speaker) : 0);
        out_next_field(stdout, f, pupa_lang_name(seg->lang), strlen(pupa_lang_name(seg->lang)));
        out_next_field(stdout, f, code, strlen(code));
        fputc(f == FMT_TSV ? '\t' : ',', stdout);
        print_entry_where(stdout, e, f);
        out_next_field(stdout, f, seg->text + h->start, h->end - h->start);
        printf("%c%llu%c%llu%c%s\n", f == FMT_TSV ? '\t' : ',', fs, f == FMT_TSV ? '\t' : ',', fe,
               f == FMT_TSV ? '\t' : ',', h->negated ? "true" : "false");
    }
    return 0;
}

/* The manifest.csv of the nearest ancestor folder that has a row for
 * path; *rel is path relative to that folder. */
static pupa_manifest *find_manifest(const char *path, char *rel, size_t relcap)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    for (int up = 0; up < 8; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
        char mpath[PATH_MAX + 16];
        snprintf(mpath, sizeof mpath, "%s/manifest.csv", dir[0] ? dir : "/");
        pupa_manifest *m = NULL;
        if (pupa_manifest_load(&m, mpath) == 0) {
            size_t n;
            snprintf(rel, relcap, "%s", path + strlen(dir) + 1);
            if (pupa_manifest_row(m, rel, &n))
                return m;
            pupa_manifest_free(m);
        }
    }
    pupa_manifest *m = NULL;
    if (pupa_manifest_load(&m, "manifest.csv") == 0) {
        size_t n;
        snprintf(rel, relcap, "%s", path);
        if (pupa_manifest_row(m, rel, &n))
            return m;
        pupa_manifest_free(m);
    }
    return NULL;
}

static int code_one_file(code_ctx *c, const char *path, const char *display, const char *rel,
                         const pupa_manifest *manifest, const pupa_read_opts *ropts)
{
    pupa_file *f;
    int rc = pupa_file_read(&f, path, display, manifest, ropts);
    if (rc) {
        report(display);
        return rc;
    }
    (void)rel;
    for (size_t d = 0; !rc && d < pupa_file_ndocs(f); d++) {
        const pupa_doc *doc = pupa_file_doc(f, d);
        for (size_t s = 0; !rc && s < doc->nsegs; s++)
            if (doc->segs[s].number > 0)
                rc = code_segment(c, doc, &doc->segs[s]);
    }
    if (rc)
        report(display);
    pupa_file_free(f);
    return rc;
}

static int code_path(code_ctx *c, const char *arg, const pupa_read_opts *ropts)
{
    if (!is_dir(arg)) {
        char rel[PATH_MAX];
        pupa_manifest *m = find_manifest(arg, rel, sizeof rel);
        int rc = code_one_file(c, arg, m ? rel : arg, m ? rel : arg, m, ropts);
        pupa_manifest_free(m);
        return rc;
    }
    char **paths;
    size_t n;
    if (pupa_corpus_list(arg, &paths, &n)) {
        report(arg);
        return -1;
    }
    char mpath[PATH_MAX];
    snprintf(mpath, sizeof mpath, "%s/manifest.csv", arg);
    pupa_manifest *m = NULL;
    int mrc = pupa_manifest_load(&m, mpath);
    if (mrc && mrc != PUPA_ENOTFOUND) {
        report(mpath);
        pupa_paths_free(paths, n);
        return mrc;
    }
    int failed = 0;
    size_t alen = strlen(arg);
    while (alen > 1 && arg[alen - 1] == '/')
        alen--;
    for (size_t i = 0; i < n; i++) {
        char full[PATH_MAX * 2];
        snprintf(full, sizeof full, "%.*s/%s", (int)alen, arg, paths[i]);
        if (code_one_file(c, full, full, paths[i], m, ropts))
            failed = 1;
    }
    pupa_manifest_free(m);
    pupa_paths_free(paths, n);
    return failed ? -1 : 0;
}

static const char code_help[] =
    "usage: pupa code [-l LEXICON] [--format text|csv|tsv|json] [--tokenise all|candidates]\n"
    "                 [--code-interviewer]\n"
    "                 [--participant-labels L,..] [--interviewer-labels L,..] FILE|DIR...\n"
    "Codes transcripts without an index.  With --format json, prints one object per\n"
    "coded segment, including segments with no codes.  LEXICON defaults to\n"
    "lexicons/butterfly.yml.  A file that cannot be read is reported and skipped.\n";


int cmd_code(int argc, char **argv)
{
    struct option opts[] = {{"lexicon", required_argument, 0, 'l'},
                            {"tokenise", required_argument, 0, 't'},
                            {"format", required_argument, 0, 'f'},
                            {"help", no_argument, 0, 'h'},
                            read_options[0], read_options[1], read_options[2],
                            {0, 0, 0, 0}};
    const char *lexpath = NULL;
    pupa_read_opts ropts = {0};
    int fmt = FMT_TEXT, ch, tokenise_all = 0;
    while ((ch = getopt_long(argc, argv, "l:f:t:h", opts, NULL)) != -1) {
        if (read_option(ch, &ropts))
            continue;
        switch (ch) {
        case 'l': lexpath = optarg; break;
        case 't': tokenise_all = parse_tokenise("code", optarg); break;
        case 'f': fmt = parse_format("code", optarg); break;
        case 'h': fputs(code_help, stdout); return 0;
        default: die_usage("code", "unknown option");
        }
    }
    if (optind >= argc)
        die_usage("code", "no FILE given");
    if (!lexpath)
        lexpath = default_lexicon();
    pupa_lexicon *lex;
    if (pupa_lexicon_load(&lex, lexpath)) {
        report(lexpath);
        return 1;
    }
    code_ctx c = {.lex = lex, .fmt = fmt};
    if (pupa_matcher_new(&c.m, lex) ||
        pupa_matcher_set_mode(c.m, tokenise_all ? PUPA_MATCH_TOKENISE_ALL : PUPA_MATCH_FAST)) {
        report("matcher");
        pupa_lexicon_free(lex);
        return 1;
    }
    int failed = 0;
    for (int i = optind; i < argc; i++)
        if (code_path(&c, argv[i], &ropts))
            failed = 1;
    pupa_matcher_free(c.m);
    pupa_lexicon_free(lex);
    return failed;
}

