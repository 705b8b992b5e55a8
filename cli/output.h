/*
 * output.h: how the command line writes values: JSON strings, CSV/TSV
 * fields (RFC 4180) and aligned text.  No engine knowledge here.
 */
#ifndef PUPA_CLI_OUTPUT_H
#define PUPA_CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

enum { FMT_TEXT, FMT_CSV, FMT_TSV, FMT_JSON };
/* Parses "text", "csv", "tsv" or "json"; -1 otherwise. */
int out_format_parse(const char *s);

/* A JSON string literal, quotes included. */
void out_json_str(FILE *f, const char *s, size_t len);
/* One CSV field (quoted when needed) or TSV field (tabs and newlines
 * become spaces, since TSV has no quoting). */
void out_field(FILE *f, int fmt, const char *s, size_t len);
/* The field separator, then the field. */
void out_next_field(FILE *f, int fmt, const char *s, size_t len);
/* Terminal columns taken by a UTF-8 string (combining marks take none). */
size_t out_width(const char *s);
/* s padded with spaces to width columns. */
void out_padded(FILE *f, const char *s, size_t width, int right_align);

#endif
