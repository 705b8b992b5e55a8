/*
 * output.c: writing values for people (aligned text) and for programs
 * (JSON, RFC 4180 CSV, TSV).  See output.h.
 */
#include "output.h"

#include <stdint.h>
#include <string.h>

int out_format_parse(const char *s)
{
    if (!strcmp(s, "text")) return FMT_TEXT;
    if (!strcmp(s, "csv")) return FMT_CSV;
    if (!strcmp(s, "tsv")) return FMT_TSV;
    if (!strcmp(s, "json")) return FMT_JSON;
    return -1;
}

/* Each function below writes the bytes between two that need changing
 * with one fwrite: a quote of a few hundred bytes went out a byte at a
 * time (fputc, which locks the stream per call), and printing 5,700 quotes
 * took 48 ms, most of it in fputc. */

void out_json_str(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    size_t run = 0; /* the first byte not yet written */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fwrite(s + run, 1, i - run, f);
        run = i + 1;
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default: fprintf(f, "\\u%04x", c);
        }
    }
    fwrite(s + run, 1, len - run, f);
    fputc('"', f);
}

void out_field(FILE *f, int fmt, const char *s, size_t len)
{
    size_t run = 0;
    if (fmt == FMT_TSV) { /* tabs and line breaks become spaces */
        for (size_t i = 0; i < len; i++)
            if (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
                fwrite(s + run, 1, i - run, f);
                fputc(' ', f);
                run = i + 1;
            }
        fwrite(s + run, 1, len - run, f);
        return;
    }
    int quote = 0;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        fwrite(s, 1, len, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < len; i++)
        if (s[i] == '"') { /* written with the run, then doubled */
            fwrite(s + run, 1, i + 1 - run, f);
            fputc('"', f);
            run = i + 1;
        }
    fwrite(s + run, 1, len - run, f);
    fputc('"', f);
}

void out_next_field(FILE *f, int fmt, const char *s, size_t len)
{
    fputc(fmt == FMT_TSV ? '\t' : ',', f);
    out_field(f, fmt, s, len);
}

size_t out_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c;
        size_t n = 1;
        if (*p < 0x80) c = *p;
        else if ((*p & 0xE0) == 0xC0 && p[1]) { c = ((uint32_t)(*p & 0x1F) << 6) | (p[1] & 0x3F); n = 2; }
        else if ((*p & 0xF0) == 0xE0 && p[1] && p[2]) {
            c = ((uint32_t)(*p & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
            n = 3;
        } else { c = 0x10000; n = 1; while (p[n] && (p[n] & 0xC0) == 0x80 && n < 4) n++; }
        /* Khmer dependent vowels, signs and coeng take no column of their own. */
        int zero = (c >= 0x0300 && c <= 0x036F) || (c >= 0x17B4 && c <= 0x17D3) || c == 0x17DD ||
                   (c >= 0x200B && c <= 0x200F);
        w += zero ? 0 : 1;
        p += n;
    }
    return w;
}

void out_padded(FILE *f, const char *s, size_t width, int right_align)
{
    size_t w = out_width(s);
    if (right_align)
        for (; w < width; w++) fputc(' ', f);
    fputs(s, f);
    if (!right_align)
        for (; w < width; w++) fputc(' ', f);
}
