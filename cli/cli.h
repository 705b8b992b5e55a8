/*
 * cli.h: what the pupa subcommands share: usage errors, reporting, the
 * default lexicon, argument parsing, read options and query filters.
 * Each subcommand lives in its own cli/cmd_*.c file.
 */
#ifndef PUPA_CLI_H
#define PUPA_CLI_H

#include "output.h"
#include "pupa.h"

#include <getopt.h>
#include <stddef.h>

#define DEFAULT_LEXICON "lexicons/butterfly.yml"

extern const char *prog;

/* Prints "pupa CMD: msg" and exits 2. */
void die_usage(const char *cmd, const char *msg) __attribute__((noreturn));
/* Prints "what: <engine message>" to stderr. */
void report(const char *what);
int is_dir(const char *p);
int is_file(const char *p);
/* The default codebook path (see pupa.c). */
const char *default_lexicon(void);
int parse_format(const char *cmd, const char *s);
/* --tokenise all|candidates: 1 for all (the reference), 0 for candidates. */
int parse_tokenise(const char *cmd, const char *s);
/* "N" or "N-M" into [lo, hi]; exits 2 on anything else. */
void parse_range(const char *cmd, const char *opt, const char *s, int *lo, int *hi);

/* --participant-labels, --interviewer-labels, --code-interviewer */
#define NREAD_OPTIONS 3
extern struct option read_options[NREAD_OPTIONS];
int read_option(int ch, pupa_read_opts *r);

/* The query filters every index command takes, plus --format and --help. */
#define NFILTER_OPTIONS 13
extern struct option filter_options[NFILTER_OPTIONS];
extern const char filter_help[];
int filter_option(const char *cmd, int ch, pupa_filter *f, int *fmt);
pupa_index *open_index(const char *path);

int cmd_code(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_quotes(int argc, char **argv);
int cmd_table(int argc, char **argv);
int cmd_cooccur(int argc, char **argv);
int cmd_streaks(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_lexicon(int argc, char **argv);
int cmd_eval(int argc, char **argv);

/* Aligned text tables for the query commands (grid.c).  Cells are added
 * row by row; a failed allocation prints what fitted, since the engine's
 * answer is already complete. */
typedef struct grid {
    size_t ncols, n, cap;
    char **cells;
} grid;
void grid_init(grid *g, size_t ncols);
/* The next cell, printf-style. */
void grid_add(grid *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the grid: the first left columns left-aligned, the others right. */
void grid_print(FILE *f, const grid *g, size_t left);
void grid_free(grid *g);
/* One CSV or TSV record of n fields. */
void out_row(FILE *f, int fmt, size_t n, const char *const *fields);
/* text with [hs, he) marked **like this**. */
void out_marked(FILE *f, const char *text, size_t len, size_t hs, size_t he);
/* A JSON string, or null for NULL. */
void out_json_opt(FILE *f, const char *s);
/* The options of a query command: the filter options, then its own n
 * extra, then the end; opts has room for NFILTER_OPTIONS + n + 1. */
void query_options(struct option *opts, const struct option *extra, size_t n);
/* "--count individuals|comments|both" (units, for co-occurrence, is comments). */
enum { COUNT_BOTH = 3, COUNT_INDIVIDUALS = 1, COUNT_COMMENTS = 2 };
int parse_count(const char *cmd, const char *s);
/* A cell as --count asks: "3 / 10", "3" or "10"; "-" when empty. */
void count_text(char *buf, size_t cap, uint32_t individuals, uint32_t units, int count);
/* {"individuals":3,"NAME":10} as --count asks. */
void count_json(FILE *f, uint32_t individuals, const char *name, uint32_t units, int count);
/* The count columns of a CSV/TSV row as --count asks, appended to f from
 * index n (returns the new n): the header ("individuals", NAME), or the
 * numbers, written into buf. */
size_t count_header(const char **f, size_t n, const char *name, int count);
size_t count_fields(const char **f, size_t n, char (*buf)[16], uint32_t individuals,
                    uint32_t units, int count);

#endif
