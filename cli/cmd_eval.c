/*
 * cmd_eval.c: pupa eval: precision, recall, F1 and Cohen's kappa of the
 * codebook against human codes, per code and overall (eval.c).
 */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char eval_help[] =
    "usage: pupa eval GOLD.csv [-l LEXICON] [--depth N] [--root DIR] [--lang en|km|mixed]\n"
    "                 [--misses]"
    " [--format text|csv|tsv|json] [read options]\n"
    "Codes every document GOLD.csv names and compares with its human codes.\n"
    "GOLD.csv has a header naming its columns: doc (a transcript path relative to\n"
    "DIR, by default GOLD.csv's folder), segment (1-based among coded turns) or\n"
    "start,end (a byte span in the file), and code.  Each coded segment is a unit;\n"
    "codes are cut to depth N (default 2; 0 keeps whole paths).  Per code: TP, FP,\n"
    "FN, TN over the units, precision, recall, F1 and Cohen's kappa; micro pools\n"
    "all codes, macro averages the codes the humans used.  --misses lists every\n"
    "disagreement with its segment.  --lang keeps the segments in one language.\n"
    "LEXICON defaults to lexicons/butterfly.yml.\n";

static void num(char *buf, size_t cap, double v)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.3f", v);
}

static void print_text_row(const pupa_eval_score *s, int width)
{
    char p[16], r[16], f[16], k[16];
    num(p, sizeof p, s->precision);
    num(r, sizeof r, s->recall);
    num(f, sizeof f, s->f1);
    num(k, sizeof k, s->kappa);
    printf("%-*s %5u %5u %5u %6u %9s %7s %6s %6s\n", width, s->code, s->tp, s->fp, s->fn, s->tn,
           p, r, f, k);
}

static void print_sep_row(int fmt, const pupa_eval_score *s)
{
    char v[8][32];
    snprintf(v[0], 32, "%u", s->tp);
    snprintf(v[1], 32, "%u", s->fp);
    snprintf(v[2], 32, "%u", s->fn);
    snprintf(v[3], 32, "%u", s->tn);
    const double d[4] = {s->precision, s->recall, s->f1, s->kappa};
    for (int i = 0; i < 4; i++)
        isnan(d[i]) ? (void)(v[4 + i][0] = '\0') : (void)snprintf(v[4 + i], 32, "%.4f", d[i]);
    if (fmt == FMT_JSON) {
        printf("{\"code\":");
        out_json_str(stdout, s->code, strlen(s->code));
        printf(",\"tp\":%s,\"fp\":%s,\"fn\":%s,\"tn\":%s", v[0], v[1], v[2], v[3]);
        static const char *const names[] = {"precision", "recall", "f1", "kappa"};
        for (int i = 0; i < 4; i++)
            printf(",\"%s\":%s", names[i], v[4 + i][0] ? v[4 + i] : "null");
        printf("}\n");
        return;
    }
    const char *f[] = {s->code, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    out_row(stdout, fmt, sizeof f / sizeof *f, f);
}

static void print_misses(const pupa_eval *ev, int fmt)
{
    if (fmt == FMT_TEXT)
        printf("\nDisagreements (missed: humans coded it, pupa did not; extra: the reverse)\n");
    else if (fmt != FMT_JSON)
        printf(fmt == FMT_TSV ? "\ndoc\tsegment\tcode\twho\ttext\n" : "\ndoc,segment,code,who,text\n");
    for (size_t i = 0; i < pupa_eval_nmisses(ev); i++) {
        const pupa_eval_miss *m = pupa_eval_miss_at(ev, i);
        const char *who = m->human ? "missed" : "extra";
        if (fmt == FMT_TEXT) {
            int n = m->text_len > 100 ? 100 : (int)m->text_len;
            printf("  %-6s %-34s %s:%u  \"%.*s%s\"\n", who, m->code, m->doc, m->segment, n, m->text,
                   (size_t)n < m->text_len ? "..." : "");
        } else if (fmt == FMT_JSON) {
            printf("{\"doc\":");
            out_json_str(stdout, m->doc, strlen(m->doc));
            printf(",\"segment\":%u,\"code\":", m->segment);
            out_json_str(stdout, m->code, strlen(m->code));
            printf(",\"who\":\"%s\",\"text\":", who);
            out_json_str(stdout, m->text, m->text_len);
            printf("}\n");
        } else {
            char seg[16];
            snprintf(seg, sizeof seg, "%u", m->segment);
            out_field(stdout, fmt, m->doc, strlen(m->doc));
            out_next_field(stdout, fmt, seg, strlen(seg));
            out_next_field(stdout, fmt, m->code, strlen(m->code));
            out_next_field(stdout, fmt, who, strlen(who));
            out_next_field(stdout, fmt, m->text, m->text_len);
            fputc('\n', stdout);
        }
    }
}

int cmd_eval(int argc, char **argv)
{
    struct option opts[] = {{"lexicon", required_argument, 0, 'l'},
                            {"depth", required_argument, 0, 'd'},
                            {"root", required_argument, 0, 'r'},
                            {"misses", no_argument, 0, 'm'},
                            {"lang", required_argument, 0, 'L'},
                            {"format", required_argument, 0, 'f'},
                            {"help", no_argument, 0, 'h'},
                            read_options[0], read_options[1], read_options[2],
                            {0, 0, 0, 0}};
    const char *lexpath = NULL;
    pupa_eval_opts eo = {.depth = 2, .lang = -1};
    int fmt = FMT_TEXT, misses = 0, ch, lo, hi;
    while ((ch = getopt_long(argc, argv, "l:d:r:f:h", opts, NULL)) != -1) {
        if (read_option(ch, &eo.read))
            continue;
        switch (ch) {
        case 'l': lexpath = optarg; break;
        case 'd':
            parse_range("eval", "--depth", optarg, &lo, &hi);
            if (lo != hi || lo > 16)
                die_usage("eval", "--depth takes one number from 0 to 16");
            eo.depth = lo;
            break;
        case 'r': eo.root = optarg; break;
        case 'm': misses = 1; break;
        case 'L':
            if (!strcmp(optarg, "en")) eo.lang = PUPA_LANG_EN;
            else if (!strcmp(optarg, "km")) eo.lang = PUPA_LANG_KM;
            else if (!strcmp(optarg, "mixed")) eo.lang = PUPA_LANG_MIXED;
            else die_usage("eval", "--lang is en, km or mixed");
            break;
        case 'f': fmt = parse_format("eval", optarg); break;
        case 'h': fputs(eval_help, stdout); return 0;
        default: die_usage("eval", "unknown option");
        }
    }
    if (argc - optind != 1)
        die_usage("eval", "give one GOLD.csv");
    const char *gold = argv[optind];
    if (!lexpath)
        lexpath = default_lexicon();
    pupa_lexicon *lex;
    if (pupa_lexicon_load(&lex, lexpath)) {
        report(lexpath);
        return 1;
    }
    pupa_eval *ev;
    if (pupa_eval_run(&ev, lex, gold, &eo)) {
        report(gold);
        pupa_lexicon_free(lex);
        return 1;
    }
    size_t nc = pupa_eval_ncodes(ev);
    if (fmt == FMT_TEXT) {
        int width = 24;
        for (size_t i = 0; i < nc; i++)
            if ((int)strlen(pupa_eval_code(ev, i)->code) > width)
                width = (int)strlen(pupa_eval_code(ev, i)->code);
        char depth[32];
        snprintf(depth, sizeof depth, eo.depth ? "depth %d" : "full depth", eo.depth);
        printf("%s: %zu units (coded segments), codes at %s, lexicon %s\n\n", gold,
               pupa_eval_nunits(ev), depth, lexpath);
        printf("%-*s %5s %5s %5s %6s %9s %7s %6s %6s\n", width, "code", "TP", "FP", "FN", "TN",
               "precision", "recall", "F1", "kappa");
        for (size_t i = 0; i < nc; i++)
            print_text_row(pupa_eval_code(ev, i), width);
        printf("\n");
        print_text_row(pupa_eval_micro(ev), width);
        print_text_row(pupa_eval_macro(ev), width);
    } else {
        if (fmt != FMT_JSON)
            printf(fmt == FMT_TSV ? "code\ttp\tfp\tfn\ttn\tprecision\trecall\tf1\tkappa\n"
                                  : "code,tp,fp,fn,tn,precision,recall,f1,kappa\n");
        for (size_t i = 0; i < nc; i++)
            print_sep_row(fmt, pupa_eval_code(ev, i));
        print_sep_row(fmt, pupa_eval_micro(ev));
        print_sep_row(fmt, pupa_eval_macro(ev));
    }
    if (misses)
        print_misses(ev, fmt);
    pupa_eval_free(ev);
    pupa_lexicon_free(lex);
    return 0;
}
