/*
 * test_reader.c: the reading stage (reader.c).  Headers and the manifest,
 * turns and paragraphs, CRLF and BOM, JSON Lines and its offset map,
 * language detection, every error message the reader promises, corpus
 * listing (also of a directory large enough to be stat-ed on several
 * threads), a mutation run for crashes, and the real English interviews
 * from the shared corpora (skipped with exit 77 when they are absent, after
 * every other check has run).
 *
 * Offsets are checked against the file itself: the bytes of the file at a
 * segment's [start, end) must be its text, or for JSON its escaped source.
 */
#include "check.h"
#include "internal.h"
#include "pupa.h"

#include <dirent.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"


/* Reads a file written by put() under its name as relpath. */
static int rd(pupa_file **f, const char *name, const pupa_manifest *m, const pupa_read_opts *o)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return pupa_file_read(f, path, name, m, o);
}


static bool seg_is(const pupa_segment *s, const char *text)
{
    return s && s->len == strlen(text) && memcmp(s->text, text, s->len) == 0;
}

/* The invariants every read file keeps, whatever its format: spans inside
 * the file and in order, texts inside doc->text, the text of a .txt segment
 * equal to its file bytes, numbers counting coded turns. */
static int spans_ok(const pupa_file *f, const char *bytes, size_t len)
{
    int bad = 0;
    for (size_t i = 0; i < pupa_file_ndocs(f); i++) {
        const pupa_doc *d = pupa_file_doc(f, i);
        uint32_t coded = 0;
        uint64_t prev = 0;
        for (size_t k = 0; k < d->nsegs; k++) {
            const pupa_segment *s = &d->segs[k];
            size_t off = (size_t)(s->text - d->text);
            bad += s->text < d->text || off + s->len > d->text_len || s->len == 0;
            bad += s->start > s->end || s->end > len || s->start < prev;
            bad += s->start != pupa_doc_file_offset(d, off);
            bad += s->end != pupa_doc_file_offset(d, off + s->len);
            if (!d->offset_map)
                bad += s->end - s->start != s->len || memcmp(bytes + s->start, s->text, s->len);
            if (s->number)
                bad += s->number != ++coded;
            bad += s->role == PUPA_ROLE_PARAGRAPH ? s->speaker != NULL : s->speaker == NULL;
            bad += s->text[0] == ' ' || s->text[0] == '\n' || s->text[s->len - 1] == '\r' ||
                   s->text[s->len - 1] == ' ' || s->text[s->len - 1] == '\n';
            prev = s->end;
        }
        if (d->offset_map)
            for (size_t k = 0; k < d->text_len; k++)
                bad += d->offset_map[k] > d->offset_map[k + 1] || d->offset_map[k + 1] > len;
    }
    return bad == 0;
}

static bool ascii_ieq_prefix(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool msg_is(const char *want)
{
    if (strcmp(pupa_errmsg(), want) == 0)
        return true;
    fprintf(stderr, "  message: \"%s\"\n  wanted:  \"%s\"\n", pupa_errmsg(), want);
    return false;
}

static bool msg_has(const char *part)
{
    if (strstr(pupa_errmsg(), part))
        return true;
    fprintf(stderr, "  message: \"%s\"\n  lacks:   \"%s\"\n", pupa_errmsg(), part);
    return false;
}

/* ------------------------------------------------------------------ tests */

static void test_lang(void)
{
    CHECK_EQ_STR(pupa_lang_name(PUPA_LANG_EN), "en");
    CHECK_EQ_STR(pupa_lang_name(PUPA_LANG_KM), "km");
    CHECK_EQ_STR(pupa_lang_name(PUPA_LANG_MIXED), "mixed");
    const char *km = "\xe1\x9e\x81\xe1\x9f\x92\xe1\x9e\x89\xe1\x9e\xbb\xe1\x9f\x86"; /* ខ្ញុំ */
    CHECK_EQ_INT(pupa_lang_detect("Hello there", 11), PUPA_LANG_EN);
    CHECK_EQ_INT(pupa_lang_detect(km, strlen(km)), PUPA_LANG_KM);
    char mixed[64];
    snprintf(mixed, sizeof mixed, "%s, 2013 (mother)", km);
    CHECK_EQ_INT(pupa_lang_detect(mixed, strlen(mixed)), PUPA_LANG_MIXED);
    snprintf(mixed, sizeof mixed, "%s \xe2\x80\x8b 19", km); /* with U+200B, digits */
    CHECK_EQ_INT(pupa_lang_detect(mixed, strlen(mixed)), PUPA_LANG_KM);
    CHECK_EQ_INT(pupa_lang_detect("caf\xc3\xa9", 5), PUPA_LANG_EN);
    CHECK_EQ_INT(pupa_lang_detect("\xc3\xa9\xe1\x9e\x80", 5), PUPA_LANG_MIXED);  /* é + ក */
    CHECK_EQ_INT(pupa_lang_detect("12, 13 !?", 9), PUPA_LANG_EN);
    CHECK_EQ_INT(pupa_lang_detect(NULL, 0), PUPA_LANG_EN);
    CHECK_EQ_INT(pupa_lang_detect("\xff\xe1\x9e", 3), PUPA_LANG_EN); /* junk is no letter */
    /* Only the given length counts. */
    CHECK_EQ_INT(pupa_lang_detect("\xe1\x9e\x80" "abc", 3), PUPA_LANG_KM);
}

static void test_header_and_turns(void)
{
    put("h.txt", "---\n"
                   "participant: P017\n"
                   "year: 2013\n"
                   "Group :  Female SP/RC  \n"
                   "# a comment\n"
                   "\n"
                   "age: \"19\"\n"
                   "---\n"
                   "I: How are you?\n"
                   "P: Fine, thanks.\n"
                   "  more here\n"
                   "\n"
                   "still P, with a colon: yes\n"
                   "Q: next\n"
                   "P:   \n"
                   "  R : answer two\n"
                   "Pat: not a label\n"
                   "participant:third\n");
    pupa_file *f = NULL;
    CHECK_EQ_INT(rd(&f, "h.txt", NULL, NULL), 0);
    if (!f)
        return;
    CHECK_EQ_INT(pupa_file_ndocs(f), 1);
    const pupa_doc *d = pupa_file_doc(f, 0);
    CHECK(pupa_file_doc(f, 1) == NULL);
    CHECK_EQ_STR(d->id, "h.txt");
    CHECK_EQ_STR(d->participant, "P017");
    CHECK_EQ_INT(d->year, 2013);
    CHECK_EQ_STR(pupa_doc_meta(d, "group"), "Female SP/RC");
    CHECK_EQ_STR(pupa_doc_meta(d, "GROUP"), "Female SP/RC");
    CHECK_EQ_STR(pupa_doc_meta(d, "age"), "19");
    CHECK_EQ_STR(pupa_doc_meta(d, "participant"), "P017");
    CHECK_EQ_STR(pupa_doc_meta(d, "year"), "2013");
    CHECK(pupa_doc_meta(d, "gender") == NULL);
    CHECK_EQ_INT(d->nmeta, 4);
    for (size_t i = 1; i < d->nmeta; i++)
        CHECK(strcmp(d->meta[i - 1].key, d->meta[i].key) < 0);
    CHECK(d->offset_map == NULL && d->text_base == 0);
    CHECK_EQ_INT(d->nsegs, 5);
    if (d->nsegs == 5) {
        const pupa_segment *s = d->segs;
        CHECK(seg_is(&s[0], "How are you?"));
        CHECK_EQ_INT(s[0].role, PUPA_ROLE_INTERVIEWER);
        CHECK_EQ_INT(s[0].number, 0);
        CHECK_EQ_STR(s[0].speaker, "I");
        CHECK(seg_is(&s[1], "Fine, thanks.\n  more here\n\nstill P, with a colon: yes"));
        CHECK_EQ_INT(s[1].role, PUPA_ROLE_PARTICIPANT);
        CHECK_EQ_INT(s[1].number, 1);
        CHECK_EQ_STR(s[1].speaker, "P");
        CHECK_EQ_INT(s[1].lang, PUPA_LANG_EN);
        CHECK(seg_is(&s[2], "next"));
        CHECK_EQ_STR(s[2].speaker, "Q");
        CHECK_EQ_INT(s[2].number, 0);
        /* "P:" with no text is no segment and takes no number. */
        CHECK(seg_is(&s[3], "answer two\nPat: not a label"));
        CHECK_EQ_STR(s[3].speaker, "R");
        CHECK_EQ_INT(s[3].number, 2);
        CHECK(seg_is(&s[4], "third"));
        CHECK_EQ_STR(s[4].speaker, "participant");
        CHECK_EQ_INT(s[4].number, 3);
    }
    size_t len;
    char path[4096];
    snprintf(path, sizeof path, "%s/h.txt", tmpdir);
    char *bytes = slurp(path, &len);
    CHECK(bytes && spans_ok(f, bytes, len));
    free(bytes);
    pupa_file_free(f);

    /* code_interviewer numbers interviewer turns too. */
    pupa_read_opts o = {NULL, NULL, 1};
    CHECK_EQ_INT(rd(&f, "h.txt", NULL, &o), 0);
    if (f) {
        const pupa_doc *e = pupa_file_doc(f, 0);
        CHECK_EQ_INT(e->segs[0].number, 1);
        CHECK_EQ_INT(e->segs[1].number, 2);
        CHECK_EQ_INT(e->segs[2].number, 3);
        CHECK_EQ_INT(e->segs[4].number, 5);
    }
    pupa_file_free(f);

    /* Text before the first label is a preamble and is left out; an empty
     * header is fine; an empty value is no value. */
    put("pre.txt", "---\nparticipant: X\nyear: 2100\nnote:\n---\nTitle of the interview\n\n"
                     "Transcribed by A.\nP: hello\n");
    CHECK_EQ_INT(rd(&f, "pre.txt", NULL, NULL), 0);
    if (f) {
        const pupa_doc *e = pupa_file_doc(f, 0);
        CHECK_EQ_INT(e->nsegs, 1);
        CHECK(seg_is(&e->segs[0], "hello"));
        CHECK_EQ_INT(e->segs[0].number, 1);
        CHECK(pupa_doc_meta(e, "note") == NULL);
        CHECK_EQ_INT(e->year, 2100);
    }
    pupa_file_free(f);
}

static void test_custom_labels(void)
{
    put("c.txt", "---\nparticipant: S1\nyear: 1900\n---\n"
                   "STAFF: first question\n"
                   "survivor: my answer\n"
                   "P: not a label here\n"
                   "s : short label\n"
                   "Survivor Two: longer label wins\n");
    pupa_read_opts o = {" Survivor , S,Survivor Two", "Staff", 0};
    pupa_file *f = NULL;
    CHECK_EQ_INT(rd(&f, "c.txt", NULL, &o), 0);
    if (!f)
        return;
    const pupa_doc *d = pupa_file_doc(f, 0);
    CHECK_EQ_INT(d->nsegs, 4);
    if (d->nsegs == 4) {
        CHECK_EQ_STR(d->segs[0].speaker, "STAFF");
        CHECK_EQ_INT(d->segs[0].role, PUPA_ROLE_INTERVIEWER);
        CHECK_EQ_STR(d->segs[1].speaker, "survivor");
        CHECK(seg_is(&d->segs[1], "my answer\nP: not a label here"));
        CHECK_EQ_INT(d->segs[1].number, 1);
        CHECK_EQ_STR(d->segs[2].speaker, "s");
        CHECK(seg_is(&d->segs[2], "short label"));
        CHECK_EQ_STR(d->segs[3].speaker, "Survivor Two");
        CHECK(seg_is(&d->segs[3], "longer label wins"));
        CHECK_EQ_INT(d->segs[3].number, 3);
    }
    pupa_file_free(f);

    /* With no participant labels at all, the file has only interviewer turns. */
    pupa_read_opts none = {"", "Staff", 0};
    CHECK_EQ_INT(rd(&f, "c.txt", NULL, &none), 0);
    if (f) {
        const pupa_doc *e = pupa_file_doc(f, 0);
        CHECK_EQ_INT(e->nsegs, 1);
        CHECK(e->nsegs == 1 && e->segs[0].number == 0);
    }
    pupa_file_free(f);
}

static void test_paragraphs(void)
{
    const char *text = "---\nparticipant: P2\nyear: 2001\n---\n\n\n"
                       "  First paragraph, line one\n"
                       "line two  \n"
                       "\n"
                       " \t \n"
                       "Second: not a label\n"
                       "\n";
    put("para.txt", text);
    pupa_file *f = NULL;
    CHECK_EQ_INT(rd(&f, "para.txt", NULL, NULL), 0);
    if (!f)
        return;
    const pupa_doc *d = pupa_file_doc(f, 0);
    CHECK_EQ_INT(d->nsegs, 2);
    if (d->nsegs == 2) {
        CHECK(seg_is(&d->segs[0], "First paragraph, line one\nline two"));
        CHECK(seg_is(&d->segs[1], "Second: not a label"));
        for (int i = 0; i < 2; i++) {
            CHECK_EQ_INT(d->segs[i].role, PUPA_ROLE_PARAGRAPH);
            CHECK(d->segs[i].speaker == NULL);
            CHECK_EQ_INT(d->segs[i].number, i + 1);
        }
        CHECK_EQ_INT(d->segs[0].start, strstr(text, "First") - text);
    }
    CHECK(spans_ok(f, text, strlen(text)));
    pupa_file_free(f);

    /* A file with a header and nothing else has no segments. */
    put("empty.txt", "---\nparticipant: P\nyear: 2000\n---");
    CHECK_EQ_INT(rd(&f, "empty.txt", NULL, NULL), 0);
    CHECK(f && pupa_file_doc(f, 0)->nsegs == 0);
    pupa_file_free(f);
}

static void test_crlf_bom(void)
{
    const char *text = "\xEF\xBB\xBF---  \r\n"
                       "participant: P9 \r\n"
                       "year: 2020\r\n"
                       "---\r\n"
                       "Interviewer: Q one?\r\n"
                       "P: answer one \r\n"
                       "continued \xe1\x9e\x80\xe2\x80\x8b\xe1\x9e\x81\r\n"
                       "\r\n"
                       "P:two\r\n";
    put("crlf.txt", text);
    pupa_file *f = NULL;
    CHECK_EQ_INT(rd(&f, "crlf.txt", NULL, NULL), 0);
    if (!f)
        return;
    const pupa_doc *d = pupa_file_doc(f, 0);
    CHECK_EQ_STR(d->participant, "P9");
    CHECK_EQ_STR(pupa_doc_meta(d, "year"), "2020");
    CHECK_EQ_INT(d->nsegs, 3);
    if (d->nsegs == 3) {
        CHECK(seg_is(&d->segs[0], "Q one?"));
        CHECK_EQ_STR(d->segs[0].speaker, "Interviewer");
        /* Inner CRLF stays (text points at the file); the last \r does not. */
        CHECK(seg_is(&d->segs[1], "answer one \r\ncontinued \xe1\x9e\x80\xe2\x80\x8b\xe1\x9e\x81"));
        CHECK_EQ_INT(d->segs[1].lang, PUPA_LANG_MIXED);
        CHECK_EQ_INT(d->segs[1].start, strstr(text, "answer") - text);
        CHECK_EQ_INT(d->segs[1].end, strstr(text, "\xe1\x9e\x81\r\n") + 3 - text);
        CHECK(seg_is(&d->segs[2], "two"));
        CHECK_EQ_INT(d->segs[2].start, strstr(text, "two") - text);
        CHECK_EQ_INT(d->segs[2].number, 2);
    }
    CHECK(spans_ok(f, text, strlen(text)));
    pupa_file_free(f);
}

static void test_manifest(void)
{
    const char *csv = "\xEF\xBB\xBF" "File, Participant ,year,Group,notes,\r\n"
                      "a.txt,P1,2010,\"G, with comma\",\"\",\r\n"
                      "\r\n"
                      "./sub\\b.txt,P2,2011,G2,\"multi\r\nline \"\"quoted\"\"\"\r\n"
                      "c.txt,P3, 1850 \r\n";
    const char *mpath = put("manifest.csv", csv);
    char mp[1024];
    snprintf(mp, sizeof mp, "%s", mpath);
    pupa_manifest *m = NULL;
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), 0);
    if (!m)
        return;
    size_t n = 99;
    const pupa_kv *row = pupa_manifest_row(m, "sub/b.txt", &n);
    CHECK(row != NULL);
    CHECK_EQ_INT(n, 4);
    for (size_t i = 0; row && i < n; i++)
        if (strcmp(row[i].key, "notes") == 0)
            CHECK_EQ_STR(row[i].value, "multi\r\nline \"quoted\"");
    CHECK(pupa_manifest_row(m, "nope.txt", &n) == NULL && n == 0);
    row = pupa_manifest_row(m, "a.txt", &n);
    CHECK_EQ_INT(n, 3); /* the empty notes cell is no metadata */
    for (size_t i = 0; row && i < n; i++) {
        CHECK(strcmp(row[i].key, "file") != 0 && strcmp(row[i].key, "notes") != 0);
        if (strcmp(row[i].key, "participant") == 0)
            CHECK_EQ_STR(row[i].value, "P1");
        if (strcmp(row[i].key, "group") == 0)
            CHECK_EQ_STR(row[i].value, "G, with comma");
    }

    /* The header wins over the manifest, and everything is kept. */
    put("a.txt", "---\ngroup: HeaderGroup\nGender: female\n---\nP: hi\n");
    pupa_file *f = NULL;
    CHECK_EQ_INT(rd(&f, "a.txt", m, NULL), 0);
    if (f) {
        const pupa_doc *d = pupa_file_doc(f, 0);
        CHECK_EQ_STR(d->participant, "P1");
        CHECK_EQ_INT(d->year, 2010);
        CHECK_EQ_STR(pupa_doc_meta(d, "group"), "HeaderGroup");
        CHECK_EQ_STR(pupa_doc_meta(d, "gender"), "female");
        CHECK_EQ_STR(pupa_doc_meta(d, "participant"), "P1");
        CHECK_EQ_INT(d->nmeta, 4);
    }
    pupa_file_free(f);

    /* A manifest-only file: no header at all, and the row outlives nothing. */
    put("sub/b.txt", "P: from b\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/sub/b.txt", tmpdir);
    CHECK_EQ_INT(pupa_file_read(&f, path, "sub/b.txt", m, NULL), 0);
    pupa_manifest_free(m);
    if (f) {
        const pupa_doc *d = pupa_file_doc(f, 0);
        CHECK_EQ_STR(d->participant, "P2");
        CHECK_EQ_STR(pupa_doc_meta(d, "notes"), "multi\r\nline \"quoted\"");
        CHECK_EQ_INT(d->nsegs, 1);
    }
    pupa_file_free(f);

    /* A header overriding a bad manifest year makes it fine; else it fails. */
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), 0);
    put("c.txt", "P: c\n");
    CHECK_EQ_INT(rd(&f, "c.txt", m, NULL), PUPA_EFORMAT);
    CHECK(msg_has("c.txt:1: byte 0: year '1850' ("));
    CHECK(msg_has("manifest.csv line 6) is not an integer 1900..2100"));
    put("c.txt", "---\nyear: 2005\n---\nP: c\n");
    CHECK_EQ_INT(rd(&f, "c.txt", m, NULL), 0);
    CHECK(f && pupa_file_doc(f, 0)->year == 2005);
    pupa_file_free(f);
    pupa_manifest_free(m);

    /* A path column, LF endings, a short row. */
    mpath = put("m2.csv", "path,participant,year\nx.txt,PX\n");
    CHECK_EQ_INT(pupa_manifest_load(&m, mpath), 0);
    CHECK(pupa_manifest_row(m, "x.txt", &n) != NULL && n == 1);
    pupa_manifest_free(m);

    /* Errors name the manifest, line and byte. */
    snprintf(mp, sizeof mp, "%s/m3.csv", tmpdir);
    put("m3.csv", "name,participant\nx,y\n");
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), PUPA_EFORMAT);
    CHECK(m == NULL);
    CHECK(msg_has("m3.csv:1: byte 0: no 'file' or 'path' column"));
    put("m3.csv", "file,year\na.txt,2000\nb.txt,\"2001\n");
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), PUPA_EFORMAT);
    CHECK(msg_has("m3.csv:3: byte 27: unterminated quoted field"));
    put("m3.csv", "file,year\na.txt,\"20\"01\n");
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), PUPA_EFORMAT);
    CHECK(msg_has("m3.csv:2: byte 20: unexpected text after a closing quote"));
    put("m3.csv", "file,year\na.txt,2000,extra\n");
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), PUPA_EFORMAT);
    CHECK(msg_has("m3.csv:2: byte 10: row has 3 fields but the header has 2"));
    put("m3.csv", "file,year\na.txt,2000\n./a.txt,2001\n");
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), PUPA_EFORMAT);
    CHECK(msg_has("m3.csv:3: byte 21: second row for 'a.txt' (first on line 2)"));
    put("m3.csv", "file,year,Year\n");
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), PUPA_EFORMAT);
    CHECK(msg_has("column 'year' given twice"));
    put("m3.csv", "file,year\n\xff.txt,1\n");
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), PUPA_EUTF8);
    CHECK(msg_has("m3.csv:2: byte 10: invalid UTF-8"));
    snprintf(mp, sizeof mp, "%s/none.csv", tmpdir);
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), PUPA_ENOTFOUND);
    CHECK_EQ_INT(pupa_manifest_load(NULL, mp), PUPA_EINVAL);
    pupa_manifest_free(NULL);
    CHECK(pupa_manifest_row(NULL, "a.txt", &n) == NULL);
}

static void test_jsonl(void)
{
    const char *text =
        "{\"participant\":\"P1\",\"year\":2015,\"Group\":\"g\",\"text\":"
        "\"P: caf\\u00e9 \\\"x\\\"\\nI: q?\\r\\nP: \\ud83d\\ude00 smile\\t\\/ \xe1\x9e\x80\"}\r\n"
        "\n"
        "  {\"participant\": 7, \"year\": \"2016\", \"text\": \"plain text\\n\\npara two\","
        " \"nested\": {\"a\": [1, 2.5e3, {\"b\": null}]}, \"n\": null, \"flag\": true, "
        "\"ratio\": -0.5}  \n";
    put("j.jsonl", text);
    pupa_file *f = NULL;
    CHECK_EQ_INT(rd(&f, "j.jsonl", NULL, NULL), 0);
    if (!f)
        return;
    CHECK_EQ_INT(pupa_file_ndocs(f), 2);
    CHECK(spans_ok(f, text, strlen(text)));
    const pupa_doc *d = pupa_file_doc(f, 0);
    if (d) {
        CHECK_EQ_STR(d->id, "j.jsonl#1");
        CHECK_EQ_STR(d->participant, "P1");
        CHECK_EQ_INT(d->year, 2015);
        CHECK_EQ_STR(pupa_doc_meta(d, "group"), "g");
        CHECK(pupa_doc_meta(d, "text") == NULL);
        CHECK(d->offset_map != NULL);
        const char *tq = strstr(text, "\"P: caf") + 1; /* first byte of the string */
        const char *close = strstr(text, "\"}\r\n");
        CHECK_EQ_INT(pupa_doc_file_offset(d, 0), tq - text);
        CHECK_EQ_INT(pupa_doc_file_offset(d, d->text_len), close - text);
        CHECK_EQ_INT(pupa_doc_file_offset(d, d->text_len + 5), close - text);
        CHECK_EQ_INT(d->nsegs, 3);
        if (d->nsegs == 3) {
            const pupa_segment *s = d->segs;
            CHECK(seg_is(&s[0], "caf\xc3\xa9 \"x\""));
            CHECK_EQ_INT(s[0].number, 1);
            /* The file bytes of the span are the escaped source. */
            const char *src = "caf\\u00e9 \\\"x\\\"";
            CHECK_EQ_INT(s[0].end - s[0].start, strlen(src));
            CHECK(memcmp(text + s[0].start, src, strlen(src)) == 0);
            CHECK(seg_is(&s[1], "q?"));
            CHECK_EQ_INT(s[1].role, PUPA_ROLE_INTERVIEWER);
            CHECK(seg_is(&s[2], "\xf0\x9f\x98\x80 smile\t/ \xe1\x9e\x80"));
            CHECK_EQ_INT(s[2].lang, PUPA_LANG_MIXED);
            CHECK_EQ_INT(s[2].number, 2);
            src = "\\ud83d\\ude00 smile\\t\\/ \xe1\x9e\x80";
            CHECK_EQ_INT(s[2].end - s[2].start, strlen(src));
            CHECK(memcmp(text + s[2].start, src, strlen(src)) == 0);
            /* Each byte of the emoji maps to the start of its escape pair. */
            size_t e0 = (size_t)(s[2].text - d->text);
            CHECK_EQ_INT(pupa_doc_file_offset(d, e0 + 3), s[2].start);
            CHECK_EQ_INT(pupa_doc_file_offset(d, e0 + 4), s[2].start + 12);
        }
    }
    d = pupa_file_doc(f, 1);
    if (d) {
        CHECK_EQ_STR(d->id, "j.jsonl#3");
        CHECK_EQ_STR(d->participant, "7");
        CHECK_EQ_INT(d->year, 2016);
        CHECK_EQ_STR(pupa_doc_meta(d, "flag"), "true");
        CHECK_EQ_STR(pupa_doc_meta(d, "ratio"), "-0.5");
        CHECK(pupa_doc_meta(d, "nested") == NULL && pupa_doc_meta(d, "n") == NULL);
        CHECK_EQ_INT(d->nsegs, 2);
        if (d->nsegs == 2) {
            CHECK(seg_is(&d->segs[0], "plain text"));
            CHECK(seg_is(&d->segs[1], "para two"));
            CHECK_EQ_INT(d->segs[1].role, PUPA_ROLE_PARAGRAPH);
            CHECK_EQ_INT(d->segs[0].start, strstr(text, "plain") - text);
            CHECK_EQ_INT(d->segs[1].start, strstr(text, "para two") - text);
            CHECK_EQ_INT(d->segs[1].end - d->segs[1].start, 8);
        }
    }
    pupa_file_free(f);

    /* Plain text without escapes points into the file, with no map. */
    const char *plain = "{\"participant\":\"P\",\"year\":2000,\"text\":\"R: just this\"}";
    put("p.jsonl", plain);
    CHECK_EQ_INT(rd(&f, "p.jsonl", NULL, NULL), 0);
    if (f) {
        const pupa_doc *e = pupa_file_doc(f, 0);
        CHECK(e->offset_map == NULL);
        CHECK_EQ_INT(e->text_base, strstr(plain, "R: ") - plain);
        CHECK(e->nsegs == 1 && seg_is(&e->segs[0], "just this"));
        CHECK(spans_ok(f, plain, strlen(plain)));
    }
    pupa_file_free(f);

    /* The manifest row of the file applies to every line; JSON wins. */
    put("jm.csv", "file,participant,year,site\nq.jsonl,PM,2001,north\n");
    char mp[1024];
    snprintf(mp, sizeof mp, "%s/jm.csv", tmpdir);
    pupa_manifest *m = NULL;
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), 0);
    put("q.jsonl", "{\"text\":\"a\"}\n{\"text\":\"b\",\"participant\":\"PJ\",\"site\":\"\"}\n");
    CHECK_EQ_INT(rd(&f, "q.jsonl", m, NULL), 0);
    if (f && pupa_file_ndocs(f) == 2) {
        CHECK_EQ_STR(pupa_file_doc(f, 0)->participant, "PM");
        CHECK_EQ_STR(pupa_file_doc(f, 1)->participant, "PJ");
        CHECK_EQ_STR(pupa_doc_meta(pupa_file_doc(f, 1), "site"), "north");
        CHECK_EQ_INT(pupa_file_doc(f, 1)->year, 2001);
    }
    pupa_file_free(f);
    pupa_manifest_free(m);

    /* One bad line fails the file, naming line and byte. */
    struct {
        const char *text, *msg;
    } bad[] = {
        {"{\"participant\":\"P\",\"year\":2000,\"text\":\"a\"}\n{\"text\":\"b}\n",
         "bad.jsonl:2: byte 51: unterminated string"},
        {"{\"participant\":\"P\",\"year\":2000,\"text\":\"\\ud800x\"}",
         "bad.jsonl:1: byte 39: unpaired surrogate in \\u escape"},
        {"{\"participant\":\"P\",\"year\":2000,\"text\":\"\\udc00\"}",
         "bad.jsonl:1: byte 39: unpaired surrogate in \\u escape"},
        {"{\"participant\":\"P\",\"year\":2000,\"text\":\"a\"} x",
         "bad.jsonl:1: byte 43: unexpected text after the JSON object"},
        {"{\"participant\":\"P\",\"year\":2000,\"text\":\"\\q\"}",
         "bad.jsonl:1: byte 39: bad escape in a string"},
        {"{\"participant\":\"P\",\"year\":2000,\"text\":\"\\u00zz\"}",
         "bad.jsonl:1: byte 39: bad \\u escape"},
        {"{\"participant\":\"P\",\"year\":2000,\"text\":\"\\u0000\"}",
         "bad.jsonl:1: byte 39: \\u0000 is not allowed"},
        {"{\"participant\":\"P\",\"year\":2000,\"text\":\"a\tb\"}",
         "bad.jsonl:1: byte 40: control character in a string"},
        {"{\"participant\":\"P\",\"year\":2000}", "bad.jsonl:1: byte 0: missing text"},
        {"{\"participant\":\"P\",\"year\":2000,\"text\":5}",
         "bad.jsonl:1: byte 38: 'text' is not a string"},
        {"{\"participant\":\"P\",\"year\":01,\"text\":\"a\"}",
         "bad.jsonl:1: byte 27: expected ',' or '}'"},
        {"{\"participant\":\"P\",\"year\":2000,\"Year\":2001,\"text\":\"a\"}",
         "bad.jsonl:1: byte 31: key 'year' given twice"},
        {"{\"participant\":\"P\",\"year\":2000,\"text\":\"a\",\"TEXT\":\"b\"}",
         "bad.jsonl:1: byte 42: key 'text' given twice"},
        {"\n\n{\"year\":2000,\"text\":\"a\"}", "bad.jsonl:3: byte 2: missing participant"},
        {"{\"participant\":\"P\",\"year\":2000.0,\"text\":\"a\"}",
         "bad.jsonl:1: byte 19: year '2000.0' is not an integer 1900..2100"},
        {"[1]", "bad.jsonl:1: byte 0: expected a JSON object"},
        {"{\"a\":tru}", "bad.jsonl:1: byte 5: expected a value"},
        {"{\"a\":[1,]}", "bad.jsonl:1: byte 8: expected a value"},
        {"{\"a\":1.}", "bad.jsonl:1: byte 5: bad number"},
        {"{\"a\" 1}", "bad.jsonl:1: byte 5: expected ':'"},
        {"{a:1}", "bad.jsonl:1: byte 1: expected a string key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put("bad.jsonl", bad[i].text);
        f = (pupa_file *)1;
        int rc = rd(&f, "bad.jsonl", NULL, NULL);
        CHECK_EQ_INT(rc, PUPA_EFORMAT);
        CHECK(f == NULL);
        if (!msg_is(bad[i].msg))
            CHECK(!"jsonl message");
    }
    /* Nesting is bounded. */
    char deep[600];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep, "{\"a\":");
    for (int i = 0; i < 100; i++)
        deep[k++] = '[';
    deep[k] = '\0';
    put("bad.jsonl", deep);
    CHECK_EQ_INT(rd(&f, "bad.jsonl", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_has("nested too deep"));
}

static void test_errors(void)
{
    pupa_file *f = (pupa_file *)1;
    const char *t = "---\nparticipant: a\nyear: 2000\n---\nP: ok\nP: bad \xff here\n";
    put("bad.txt", t);
    CHECK_EQ_INT(rd(&f, "bad.txt", NULL, NULL), PUPA_EUTF8);
    CHECK(f == NULL);
    char want[256];
    snprintf(want, sizeof want, "bad.txt:6: byte %zu: invalid UTF-8", (size_t)(strchr(t, '\xff') - t));
    CHECK(msg_is(want));
    /* Bad bytes inside the header and truncated sequences count too. */
    put("bad.txt", "\xEF\xBB\xBF---\nparticipant: \xc3\n");
    CHECK_EQ_INT(rd(&f, "bad.txt", NULL, NULL), PUPA_EUTF8);
    CHECK(msg_is("bad.txt:2: byte 20: invalid UTF-8"));
    put("bad.txt", "P: overlong \xc0\xaf");
    CHECK_EQ_INT(rd(&f, "bad.txt", NULL, NULL), PUPA_EUTF8);
    CHECK(msg_is("bad.txt:1: byte 12: invalid UTF-8"));
    put("bad.txt", "P: surrogate \xed\xa0\x80");
    CHECK_EQ_INT(rd(&f, "bad.txt", NULL, NULL), PUPA_EUTF8);
    CHECK(msg_is("bad.txt:1: byte 13: invalid UTF-8"));
    put("bad.txt", "P: ends \xe1\x9e");
    CHECK_EQ_INT(rd(&f, "bad.txt", NULL, NULL), PUPA_EUTF8);
    CHECK(msg_is("bad.txt:1: byte 8: invalid UTF-8"));
    put_bytes("bad.txt", "P\0:\0 \0h\0", 8);
    CHECK_EQ_INT(rd(&f, "bad.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_has("bad.txt:1: byte 1: NUL byte"));

    put("x.txt", "P: hello\n");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_is("x.txt:1: byte 0: missing participant"));
    put("x.txt", "---\nparticipant: P1\n---\nP: hello\n");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_is("x.txt:1: byte 0: missing year"));
    put("x.txt", "---\nparticipant: P1\nyear: 1899\n---\nP: hello\n");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_is("x.txt:3: byte 20: year '1899' is not an integer 1900..2100"));
    put("x.txt", "---\nparticipant: P1\nyear: twenty\n---\n");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_has("year 'twenty' is not"));
    put("x.txt", "---\nparticipant: P1\nyear: 2000\n");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_is("x.txt:1: byte 0: unterminated header"));
    put("x.txt", "\xEF\xBB\xBF---\r\nparticipant: P1\r\nnote: -- -\r\n");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_is("x.txt:1: byte 3: unterminated header"));
    put("x.txt", "---");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_is("x.txt:1: byte 0: unterminated header"));
    put("x.txt", "---\nparticipant: P1\njust words\n---\n");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_is("x.txt:3: byte 20: expected 'key: value' in the header"));
    put("x.txt", "---\nparticipant: P1\nyear: 2000\nPARTICIPANT: P2\n---\n");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_is("x.txt:4: byte 31: key 'participant' given twice"));
    put("x.txt", "---\n : v\n---\n");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_has("x.txt:2: byte 5: empty key"));
    put("x.txt", "");
    CHECK_EQ_INT(rd(&f, "x.txt", NULL, NULL), PUPA_EFORMAT);
    CHECK(msg_is("x.txt:1: byte 0: missing participant"));

    CHECK_EQ_INT(rd(&f, "does-not-exist.txt", NULL, NULL), PUPA_ENOTFOUND);
    CHECK(msg_has("does-not-exist.txt:1: byte 0: "));
    CHECK_EQ_INT(pupa_file_read(NULL, "x", "x", NULL, NULL), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_file_read(&f, NULL, "x", NULL, NULL), PUPA_EINVAL);
    CHECK(f == NULL);
    CHECK(pupa_file_ndocs(NULL) == 0 && pupa_file_doc(NULL, 0) == NULL);
    CHECK(pupa_doc_meta(NULL, "x") == NULL);
    CHECK(pupa_doc_file_offset(NULL, 3) == 0);
    pupa_file_free(NULL);
    pupa_paths_free(NULL, 0);

    /* A segment over the cap fails the file, not the machine. */
    size_t big = PUPA_MAX_SEGMENT_BYTES + 10;
    char *b = malloc(big + 64);
    if (b) {
        int h = snprintf(b, 64, "---\nparticipant: P\nyear: 2000\n---\nP: ");
        memset(b + h, 'a', big);
        put_bytes("big.txt", b, (size_t)h + big);
        CHECK_EQ_INT(rd(&f, "big.txt", NULL, NULL), PUPA_ETOOBIG);
        char w[128];
        snprintf(w, sizeof w, "big.txt:5: byte %d: segment of", h);
        CHECK(msg_has(w));
        free(b);
    }
}

static void test_list(void)
{
    put("list/a.txt", "x");
    put("list/Z.TXT", "x");
    put("list/b/c.jsonl", "x");
    put("list/b/d.csv", "x");
    put("list/b/deeper/e.txt", "x");
    put("list/.hidden/f.txt", "x");
    put("list/.g.txt", "x");
    put("list/manifest.csv", "file\n");
    put("list/notes.txt.bak", "x");
    char p[1024], q[1024];
    snprintf(p, sizeof p, "%s/list/loop", tmpdir);
    CHECK(symlink(".", p) == 0);
    snprintf(p, sizeof p, "%s/list/link.txt", tmpdir);
    snprintf(q, sizeof q, "%s/list/a.txt", tmpdir);
    CHECK(symlink(q, p) == 0);
    snprintf(p, sizeof p, "%s/list/dangling.txt", tmpdir);
    CHECK(symlink("/nonexistent/nowhere.txt", p) == 0);
    snprintf(p, sizeof p, "%s/list/dir.txt", tmpdir);
    CHECK(mkdir(p, 0700) == 0);
    put("list/dir.txt/in.txt", "x");

    char **paths = NULL;
    size_t n = 0;
    snprintf(p, sizeof p, "%s/list", tmpdir);
    CHECK_EQ_INT(pupa_corpus_list(p, &paths, &n), 0);
    const char *want[] = {"Z.TXT", "a.txt", "b/c.jsonl", "b/deeper/e.txt", "dir.txt/in.txt",
                          "link.txt"};
    CHECK_EQ_INT(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n && i < sizeof want / sizeof want[0]; i++)
        CHECK_EQ_STR(paths[i], want[i]);
    pupa_paths_free(paths, n);

    snprintf(p, sizeof p, "%s/list/b/", tmpdir);
    CHECK_EQ_INT(pupa_corpus_list(p, &paths, &n), 0);
    CHECK(n == 2 && strcmp(paths[0], "c.jsonl") == 0);
    pupa_paths_free(paths, n);

    snprintf(p, sizeof p, "%s/no-such-dir", tmpdir);
    CHECK_EQ_INT(pupa_corpus_list(p, &paths, &n), PUPA_ENOTFOUND);
    CHECK(paths == NULL && n == 0);
    CHECK_EQ_INT(pupa_corpus_list(NULL, &paths, &n), PUPA_EINVAL);
}

/* A directory of 1,500 entries, which the listing stats on helper threads
 * where there are cores for them: every transcript is listed once, with
 * its own size (a link's target's), and only transcripts. */
static void test_list_many(void)
{
    enum { N = 1500 };
    char p[1024], q[1024];
    snprintf(p, sizeof p, "%s/many", tmpdir);
    CHECK(mkdir(p, 0700) == 0);
    size_t expect = 0;
    for (int i = 0; i < N; i++) {
        char name[1200];
        if (i % 97 == 5) { /* a link to the first file */
            snprintf(name, sizeof name, "%s/many/l%04d.txt", tmpdir, i);
            snprintf(q, sizeof q, "%s/many/f0000.txt", tmpdir);
            CHECK(symlink(q, name) == 0);
            expect++;
        } else if (i % 131 == 7) { /* a broken link: not listed */
            snprintf(name, sizeof name, "%s/many/d%04d.txt", tmpdir, i);
            CHECK(symlink("/nonexistent/nowhere.txt", name) == 0);
        } else if (i % 11 == 3) { /* not a transcript */
            snprintf(name, sizeof name, "many/n%04d.csv", i);
            put(name, "x");
        } else {
            char body[N + 1];
            memset(body, 'x', (size_t)i);
            snprintf(name, sizeof name, "many/f%04d.txt", i);
            put_bytes(name, body, (size_t)i);
            expect++;
        }
    }
    snprintf(p, sizeof p, "%s/many/sub", tmpdir);
    CHECK(mkdir(p, 0700) == 0);
    put("many/sub/s.jsonl", "yy");
    expect++;
    snprintf(p, sizeof p, "%s/many", tmpdir);
    /* As many threads as the cores (0), one (-j 1), and more than the
     * helpers the listing starts: the same list. */
    static const int threads[] = {0, 1, 64};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
        char **paths = NULL;
        pupa_file_stat *fs = NULL;
        size_t n = 0, bad = 0;
        CHECK_EQ_INT(pupa_corpus_list_stat(p, &paths, &fs, &n, threads[t]), 0);
        CHECK_EQ_INT(n, expect);
        for (size_t i = 0; fs && i < n; i++) {
            const char *name = paths[i];
            uint64_t want = name[0] == 'f' ? (uint64_t)atoi(name + 1) : name[0] == 'l' ? 0 : 2;
            bad += fs[i].size != want || (i && strcmp(paths[i - 1], name) >= 0) ||
                   (name[0] != 'f' && name[0] != 'l' && strcmp(name, "sub/s.jsonl") != 0);
        }
        CHECK_EQ_INT(bad, 0);
        pupa_paths_free(paths, n);
        free(fs);
    }
}

/* Mutates good files at random and reads them: no crash, no leak, and a
 * file that still reads keeps every span invariant. */
static void test_mutations(void)
{
    const char *seeds[] = {
        "\xEF\xBB\xBF---\r\nparticipant: P017\r\nyear: 2013\r\n---\r\nI: \xe1\x9e\x80\xe2\x80\x8b?"
        "\r\nP: answer \xe1\x9e\x81\r\n\r\nmore\r\nR:x\r\n",
        "---\nparticipant: A\nyear: 2000\n---\npara one\n\npara \xc3\xa9 two\n",
        "{\"participant\":\"P\",\"year\":2000,\"text\":\"P: a\\nI: \\u00e9\\ud83d\\ude00\\n\\nb\","
        "\"x\":[1,{\"y\":null}]}\n{\"participant\":1,\"year\":\"2001\",\"text\":\"q\"}\n",
        "\xEF\xBB\xBF" "file,participant,year\r\n\"m.txt\",\"P \"\"1\"\"\",2000\r\nb.txt,,\r\n",
    };
    const char *names[] = {"m.txt", "m.txt", "m.jsonl", "m.csv"};
    const char alphabet[] = "-:\n\r \"\\{}[],uPIR0123456789a\xe1\x9e\x80\xc3\xff";
    uint64_t state = 0x9E3779B97F4A7C15ull;
    int ok = 0, failed = 0, bad = 0;
    char buf[512];
    for (int it = 0; it < 4000; it++) {
        size_t s = (size_t)it % 4, n = strlen(seeds[s]);
        memcpy(buf, seeds[s], n);
        int edits = 1 + it % 4;
        for (int e = 0; e < edits; e++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t r = (uint32_t)(state >> 33);
            size_t at = n ? r % n : 0;
            char c = alphabet[(r >> 12) % (sizeof alphabet - 1)];
            switch ((r >> 20) % 3) {
            case 0: buf[at] = c; break;                                   /* replace */
            case 1: if (n < sizeof buf - 1) { memmove(buf + at + 1, buf + at, n - at); buf[at] = c; n++; } break;
            default: if (n) { memmove(buf + at, buf + at + 1, n - at - 1); n--; } break;
            }
        }
        const char *path = put_bytes(names[s], buf, n);
        if (s == 3) {
            pupa_manifest *m = NULL;
            int rc = pupa_manifest_load(&m, path);
            bad += rc ? m != NULL || strchr(pupa_errmsg(), '\n') != NULL : m == NULL;
            ok += rc == 0;
            failed += rc != 0;
            pupa_manifest_free(m);
            continue;
        }
        pupa_file *f = NULL;
        int rc = rd(&f, names[s], NULL, NULL);
        if (rc == 0) {
            ok++;
            bad += !spans_ok(f, buf, n);
            pupa_file_free(f);
        } else {
            failed++;
            /* Every failure is one line naming the file. */
            bad += strncmp(pupa_errmsg(), names[s], strlen(names[s])) != 0 ||
                   strchr(pupa_errmsg(), '\n') != NULL || f != NULL;
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(ok > 100 && failed > 100);
}

/* The shared English interviews: without participant and year they fail;
 * with them (from a header copy or a manifest) they split into turns whose
 * bytes are exactly their text. */
static void test_interviews(const char *corpora)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/interviews-en", corpora);
    char **paths = NULL;
    size_t n = 0;
    CHECK_EQ_INT(pupa_corpus_list(root, &paths, &n), 0);
    CHECK(n >= 30);

    /* A manifest naming every file, written where the corpus is not. */
    char mp[1024];
    snprintf(mp, sizeof mp, "%s/interviews.csv", tmpdir);
    FILE *mf = fopen(mp, "wb");
    if (!mf) {
        CHECK(!"manifest");
        pupa_paths_free(paths, n);
        return;
    }
    fprintf(mf, "file,participant,year,note\n");
    for (size_t i = 0; i < n; i++)
        fprintf(mf, "\"%s\",E%zu,%zu,\"interview, public\"\n", paths[i], i, 2000 + i);
    fclose(mf);
    pupa_manifest *m = NULL;
    CHECK_EQ_INT(pupa_manifest_load(&m, mp), 0);

    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root, paths[i]);
        pupa_file *f = NULL;
        CHECK_EQ_INT(pupa_file_read(&f, path, paths[i], NULL, NULL), PUPA_EFORMAT);
        CHECK(msg_has(":1: byte 0: missing participant"));

        size_t len;
        char *bytes = slurp(path, &len);
        CHECK(bytes != NULL);
        if (!bytes)
            continue;
        /* Interview 2 writes "Interviewer1 :": given as custom labels. */
        pupa_read_opts o = {"Interviewee,Interviewee1", "Interviewer,Interviewer1,Interviewer 1,"
                                                        "Interviewer 2,Interviewer2", 0};
        CHECK_EQ_INT(pupa_file_read(&f, path, paths[i], m, &o), 0);
        if (f) {
            const pupa_doc *d = pupa_file_doc(f, 0);
            CHECK(d->nsegs > 10);
            CHECK(spans_ok(f, bytes, len));
            CHECK_EQ_STR(pupa_doc_meta(d, "note"), "interview, public");
            CHECK_EQ_INT(d->year, 2000 + (int)i);
            size_t coded = 0;
            for (size_t k = 0; k < d->nsegs; k++) {
                const pupa_segment *s = &d->segs[k];
                CHECK(s->speaker != NULL && s->role != PUPA_ROLE_PARAGRAPH);
                coded += s->number != 0;
                CHECK(s->role == PUPA_ROLE_PARTICIPANT ? ascii_ieq_prefix(s->speaker, "interviewee")
                                                       : ascii_ieq_prefix(s->speaker, "interviewer"));
            }
            CHECK(coded > 5);
            total += d->nsegs;
            pupa_file_free(f);
        }

        /* The same bytes behind a header, read with the default labels. */
        char name[1100];
        snprintf(name, sizeof name, "copy/%s", paths[i]);
        const char *hdr = "---\nparticipant: X\nyear: 2020\n---\n";
        char *copy = malloc(strlen(hdr) + len);
        if (copy) {
            memcpy(copy, hdr, strlen(hdr));
            memcpy(copy + strlen(hdr), bytes, len);
            put_bytes(name, copy, strlen(hdr) + len);
            CHECK_EQ_INT(rd(&f, name, NULL, NULL), 0);
            if (f) {
                const pupa_doc *d = pupa_file_doc(f, 0);
                /* Only Interview 2 has no default labels: it reads as paragraphs. */
                bool paras = strcmp(paths[i], "Interview 2.txt") == 0;
                CHECK(paras ? d->nsegs >= 1 && d->segs[0].role == PUPA_ROLE_PARAGRAPH
                            : d->nsegs > 10 && d->segs[0].role != PUPA_ROLE_PARAGRAPH);
                CHECK(spans_ok(f, copy, strlen(hdr) + len));
                CHECK_EQ_STR(d->participant, "X");
                pupa_file_free(f);
            }
            free(copy);
        }
        free(bytes);
    }
    CHECK(total > 1000);
    pupa_manifest_free(m);
    pupa_paths_free(paths, n);
}

int main(int argc, char **argv)
{
    tmp_setup("reader");
    test_lang();
    test_header_and_turns();
    test_custom_labels();
    test_paragraphs();
    test_crlf_bom();
    test_manifest();
    test_jsonl();
    test_errors();
    test_list();
    test_list_many();
    test_mutations();

    const char *corpora = argc > 1 ? argv[1] : NULL;
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/interviews-en", corpora ? corpora : "");
    struct stat st;
    bool have = corpora && stat(probe, &st) == 0 && S_ISDIR(st.st_mode);
    if (have)
        test_interviews(corpora);
    tmp_cleanup();
    if (!have && !check_failures) {
        fprintf(stderr, "shared corpora not found at %s: interview checks skipped\n", probe);
        return 77;
    }
    return check_result();
}
