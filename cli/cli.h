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
#define NFILTER_OPTIONS 12
extern struct option filter_options[NFILTER_OPTIONS];
extern const char filter_help[];
int filter_option(const char *cmd, int ch, pupa_filter *f, int *fmt);
pupa_index *open_index(const char *path);

int cmd_code(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_quotes(int argc, char **argv);
int cmd_table(int argc, char **argv);

#endif
