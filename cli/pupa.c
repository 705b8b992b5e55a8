/*
 * pupa.c: the pupa command line.
 *
 *   pupa code   [-l LEXICON] [--format F] FILE|DIR...  code files, no index
 *   pupa index  CORPUS [-l LEXICON] [-o INDEX] [-j N]   build or update an index
 *   pupa quotes INDEX [filters] [--format F]            quotes with attribution
 *   pupa table  INDEX [--depth N] [--by KEY] [filters]  individuals / comments
 *
 * Every subcommand takes --help.  Errors go to stderr as one line naming the
 * file and position; the exit status is 1 for a failure, 2 for bad usage.
 * The CLI owns what the user sees; the engine (pupa.h) never prints.
 */
#include "output.h"
#include "pupa.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_LEXICON "lexicons/butterfly.yml"

static const char *prog = "pupa";

static void die_usage(const char *cmd, const char *msg)
{
    fprintf(stderr, "%s %s: %s (try '%s %s --help')\n", prog, cmd, msg, prog, cmd);
    exit(2);
}

static void report(const char *what)
{
    const char *m = pupa_errmsg();
    fprintf(stderr, "%s: %s\n", what, m[0] ? m : "failed");
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The default codebook: $PUPA_LEXICON, ./lexicons/butterfly.yml, or the one
 * in the source tree the binary was built from (found from /proc/self/exe),
 * shown relative to the working directory when it is below it. */
static const char *default_lexicon(void)
{
    static char found[PATH_MAX + 64];
    const char *env = getenv("PUPA_LEXICON");
    if (env && *env)
        return env;
    if (is_file(DEFAULT_LEXICON))
        return DEFAULT_LEXICON;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return DEFAULT_LEXICON;
    exe[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            break;
        *slash = '\0';
        snprintf(found, sizeof found, "%s/%s", exe, DEFAULT_LEXICON);
        if (is_file(found)) {
            char cwd[PATH_MAX];
            size_t cl;
            if (getcwd(cwd, sizeof cwd) && (cl = strlen(cwd)) && strncmp(found, cwd, cl) == 0 &&
                found[cl] == '/')
                return found + cl + 1;
            return found;
        }
    }
    return DEFAULT_LEXICON;
}

static int parse_format(const char *cmd, const char *s)
{
    int f = out_format_parse(s);
    if (f < 0)
        die_usage(cmd, "--format is text, csv, tsv or json");
    return f;
}

/* "N" or "N-M" into [lo, hi]. */
static void parse_range(const char *cmd, const char *opt, const char *s, int *lo, int *hi)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10), b = a;
    if (*end == '-')
        b = strtol(end + 1, &end, 10);
    if (errno || *end || a < 0 || b < a || b > 100000) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s takes N or N-M", opt);
        die_usage(cmd, msg);
    }
    *lo = (int)a;
    *hi = (int)b;
}

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
        int rc = code_one_file(c, arg, arg, m ? rel : arg, m, ropts);
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
    "usage: pupa code [-l LEXICON] [--format text|csv|tsv|json] [--code-interviewer]\n"
    "                 [--participant-labels L,..] [--interviewer-labels L,..] FILE|DIR...\n"
    "Codes transcripts without an index.  With --format json, prints one object per\n"
    "coded segment, including segments with no codes.  LEXICON defaults to\n"
    "lexicons/butterfly.yml.  A file that cannot be read is reported and skipped.\n";

static struct option read_options[] = {
    {"participant-labels", required_argument, 0, 1001},
    {"interviewer-labels", required_argument, 0, 1002},
    {"code-interviewer", no_argument, 0, 1003},
};

static int read_option(int ch, pupa_read_opts *r)
{
    switch (ch) {
    case 1001: r->participant_labels = optarg; return 1;
    case 1002: r->interviewer_labels = optarg; return 1;
    case 1003: r->code_interviewer = 1; return 1;
    default: return 0;
    }
}

static int cmd_code(int argc, char **argv)
{
    struct option opts[] = {{"lexicon", required_argument, 0, 'l'},
                            {"format", required_argument, 0, 'f'},
                            {"help", no_argument, 0, 'h'},
                            read_options[0], read_options[1], read_options[2],
                            {0, 0, 0, 0}};
    const char *lexpath = NULL;
    pupa_read_opts ropts = {0};
    int fmt = FMT_TEXT, ch;
    while ((ch = getopt_long(argc, argv, "l:f:h", opts, NULL)) != -1) {
        if (read_option(ch, &ropts))
            continue;
        switch (ch) {
        case 'l': lexpath = optarg; break;
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
    if (pupa_matcher_new(&c.m, lex)) {
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

/* =============================================================== index */

static void on_file_error(void *ctx, const char *relpath, const char *message)
{
    (void)ctx;
    (void)relpath;
    fprintf(stderr, "%s\n", message); /* already "relpath:line: byte N: what" */
}

static void on_progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    fprintf(stderr, "\rindexing: %zu/%zu files", done, total);
    if (done == total)
        fputc('\n', stderr);
}

static const char index_help[] =
    "usage: pupa index CORPUS [-l LEXICON] [-o INDEX] [-j THREADS]\n"
    "                  [--participant-labels L,..] [--interviewer-labels L,..]\n"
    "Builds or updates the index of a corpus folder.  Run again, it codes only new\n"
    "and changed files, drops removed ones, and starts over if the lexicon changed.\n"
    "INDEX defaults to CORPUS.pupa.  Files that cannot be read are reported, one line\n"
    "each, and the rest is indexed; the exit status is then 1.\n";

static int cmd_index(int argc, char **argv)
{
    struct option opts[] = {{"lexicon", required_argument, 0, 'l'},
                            {"output", required_argument, 0, 'o'},
                            {"threads", required_argument, 0, 'j'},
                            {"help", no_argument, 0, 'h'},
                            read_options[0], read_options[1], read_options[2],
                            {0, 0, 0, 0}};
    pupa_build_opts b = {0};
    const char *out = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "l:o:j:h", opts, NULL)) != -1) {
        if (read_option(ch, &b.read))
            continue;
        switch (ch) {
        case 'l': b.lexicon = optarg; break;
        case 'o': out = optarg; break;
        case 'j': {
            int lo, hi;
            parse_range("index", "-j", optarg, &lo, &hi);
            b.threads = lo;
            break;
        }
        case 'h': fputs(index_help, stdout); return 0;
        default: die_usage("index", "unknown option");
        }
    }
    if (optind != argc - 1)
        die_usage("index", "give exactly one CORPUS folder");
    const char *corpus = argv[optind];
    if (!is_dir(corpus)) {
        fprintf(stderr, "%s: not a folder\n", corpus);
        return 1;
    }
    char defout[PATH_MAX];
    if (!out) {
        size_t n = strlen(corpus);
        while (n > 1 && corpus[n - 1] == '/')
            n--;
        snprintf(defout, sizeof defout, "%.*s.pupa", (int)n, corpus);
        out = defout;
    }
    if (!b.lexicon)
        b.lexicon = default_lexicon();
    b.on_file_error = on_file_error;
    if (isatty(2))
        b.on_progress = on_progress;
    pupa_build_stats st;
    if (pupa_index_build(corpus, out, &b, &st)) {
        report(out);
        return 1;
    }
    fprintf(stderr,
            "%s: %zu files: %zu added, %zu changed, %zu removed, %zu unchanged, %zu failed; "
            "coded %zu documents, %zu segments, %zu hits\n",
            out, st.files_seen, st.files_added, st.files_changed, st.files_removed,
            st.files_unchanged, st.files_failed, st.docs, st.segments, st.hits);
    return st.files_failed ? 1 : 0;
}

/* ============================================================= filters */

static struct option filter_options[] = {
    {"code", required_argument, 0, 2001},   {"year", required_argument, 0, 2002},
    {"participant", required_argument, 0, 2003}, {"group", required_argument, 0, 2004},
    {"gender", required_argument, 0, 2005}, {"age", required_argument, 0, 2006},
    {"lang", required_argument, 0, 2007},   {"speaker", required_argument, 0, 2008},
    {"negated", no_argument, 0, 2009},      {"limit", required_argument, 0, 2010},
    {"format", required_argument, 0, 'f'},  {"help", no_argument, 0, 'h'},
};
#define NFILTER_OPTIONS (sizeof filter_options / sizeof *filter_options)

static const char filter_help[] =
    "filters: --code PREFIX  --year Y|Y1-Y2  --participant ID  --group G  --gender G\n"
    "         --age N|N1-N2  --lang en|km|mixed  --speaker LABEL  --negated  --limit N\n"
    "         --format text|csv|tsv|json\n";

static int filter_option(const char *cmd, int ch, pupa_filter *f, int *fmt)
{
    int lo, hi;
    switch (ch) {
    case 2001: f->code = optarg; return 1;
    case 2002: parse_range(cmd, "--year", optarg, &lo, &hi); f->year_min = lo; f->year_max = hi; return 1;
    case 2003: f->participant = optarg; return 1;
    case 2004: f->group = optarg; return 1;
    case 2005: f->gender = optarg; return 1;
    case 2006: parse_range(cmd, "--age", optarg, &lo, &hi); f->age_min = lo; f->age_max = hi; return 1;
    case 2007:
        if (!strcmp(optarg, "en")) f->lang = PUPA_LANG_EN;
        else if (!strcmp(optarg, "km")) f->lang = PUPA_LANG_KM;
        else if (!strcmp(optarg, "mixed")) f->lang = PUPA_LANG_MIXED;
        else die_usage(cmd, "--lang is en, km or mixed");
        return 1;
    case 2008: f->speaker = optarg; return 1;
    case 2009: f->negated = 1; return 1;
    case 2010: parse_range(cmd, "--limit", optarg, &lo, &hi); f->limit = (size_t)lo; return 1;
    case 'f': *fmt = parse_format(cmd, optarg); return 1;
    default: return 0;
    }
}

static pupa_index *open_index(const char *path)
{
    pupa_index *ix;
    if (pupa_index_open(&ix, path)) {
        report(path);
        return NULL;
    }
    return ix;
}

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

static int cmd_quotes(int argc, char **argv)
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

static int cmd_table(int argc, char **argv)
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

/* ================================================================ main */

static const char main_help[] =
    "usage: pupa COMMAND [options]\n"
    "  code     code transcript files and print the hits (no index)\n"
    "  index    build or update the index of a corpus folder\n"
    "  quotes   print attributed quotes from an index\n"
    "  table    print individuals / comments per code and group or year\n"
    "Each command takes --help.\n";

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(main_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    argv++;
    argc--;
    if (!strcmp(cmd, "code")) return cmd_code(argc, argv);
    if (!strcmp(cmd, "index")) return cmd_index(argc, argv);
    if (!strcmp(cmd, "quotes")) return cmd_quotes(argc, argv);
    if (!strcmp(cmd, "table")) return cmd_table(argc, argv);
    fprintf(stderr, "%s: unknown command '%s'\n%s", prog, cmd, main_help);
    return 2;
}
