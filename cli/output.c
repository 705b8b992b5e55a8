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

void out_json_str(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
}

void out_field(FILE *f, int fmt, const char *s, size_t len)
{
    if (fmt == FMT_TSV) {
        for (size_t i = 0; i < len; i++)
            fputc(s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : s[i], f);
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
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
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
