/*
 * test_liwc.c: pupa lexicon import (liwc.c).  A LIWC .dic with a legend,
 * tab- and space-separated fields, a multi-word term, a prefix term, LIWC
 * 2007 conditional categories, unknown IDs, an emoticon, unsafe category
 * names and a BOM becomes YAML that loads as a lexicon with the expected
 * codes, entries and kinds; every skipped line is reported with its number;
 * broken files fail with file and line.
 */
#include "check.h"
#include "pupa.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


typedef struct warned {
    uint32_t lines[32];
    size_t n;
} warned;

static void on_warn(void *ctx, uint32_t line, const char *msg)
{
    warned *w = ctx;
    (void)msg;
    if (w->n < 32)
        w->lines[w->n++] = line;
}

static int warned_at(const warned *w, uint32_t line)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->lines[i] == line)
            return 1;
    return 0;
}

static const char DIC[] = "\xEF\xBB\xBF%\n"           /* 1 */
                          "1\tposemo\n"               /* 2 */
                          "2 negemo\n"                /* 3: a space for the tab */
                          "3\twork/school\n"          /* 4: '/' is not allowed in a code */
                          "4\t.hidden\n"              /* 5: would be a hidden code */
                          "5\tposemo\n"               /* 6: a name used twice */
                          "%\n"                       /* 7 */
                          "happy\t1\n"                /* 8 */
                          "hate*\t2\n"                /* 9 */
                          "kind of\t1\t3\n"           /* 10: two words, tabs */
                          "no  2\n"                   /* 11: spaces; "no" must stay a string */
                          "like\t(02 134)1/2\n"       /* 12: conditional: 2 is taken */
                          "boss\t3\t9\n"              /* 13: 9 is not in the legend */
                          ":)\t1\n"                   /* 14: no word: skipped */
                          "lonely\n"                  /* 15: no category: skipped */
                          "work*\t3\t4\t5\n"          /* 16 */
                          "\n"                        /* 17 */
                          "happy\t1\n";               /* 18: repeated: once */

static void test_import(void)
{
    char dic[1024];
    snprintf(dic, sizeof dic, "%s", put("test.dic", DIC));
    char *yaml = NULL;
    size_t len = 0;
    warned w = {0};
    pupa_liwc_stats st;
    int rc = pupa_liwc_to_yaml(dic, &yaml, &len, on_warn, &w, &st);
    CHECK_EQ_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", pupa_errmsg());
        return;
    }
    CHECK(yaml && strlen(yaml) == len);
    CHECK_EQ_INT(st.categories, 5);
    CHECK_EQ_INT(st.terms, 7);
    CHECK_EQ_INT(st.skipped, 3);
    CHECK(warned_at(&w, 18));
    CHECK(warned_at(&w, 6));
    CHECK(warned_at(&w, 12));
    CHECK(warned_at(&w, 13));
    CHECK(warned_at(&w, 14));
    CHECK(warned_at(&w, 15));
    CHECK(!warned_at(&w, 8));
    CHECK(strstr(yaml, "\"work_school\":") != NULL);
    CHECK(strstr(yaml, "\"_.hidden\":") != NULL);
    CHECK(strstr(yaml, "\"posemo_5\":") != NULL);
    CHECK(strstr(yaml, "  - \"no\"\n") != NULL);

    /* The YAML is a lexicon. */
    const char *yml = put("test.yml", yaml);
    pupa_lexicon *lex = NULL;
    CHECK_EQ_INT(pupa_lexicon_load(&lex, yml), 0);
    if (lex) {
        static const char *codes[] = {"posemo", "negemo", "work_school", "_.hidden", "posemo_5"};
        CHECK_EQ_INT(pupa_lexicon_ncodes(lex), 5);
        for (uint32_t i = 0; i < 5 && i < pupa_lexicon_ncodes(lex); i++) {
            CHECK_EQ_STR(pupa_lexicon_code(lex, i), codes[i]);
            CHECK_EQ_INT(pupa_lexicon_code_hidden(lex, i), 0);
        }
        /* posemo: happy, kind of; negemo: hate*, no, like; work_school: kind
         * of, boss, work*; _.hidden: work*; posemo_5: work* */
        CHECK_EQ_INT(pupa_lexicon_nentries(lex), 10);
        int prefixes = 0, two_words = 0;
        for (uint32_t i = 0; i < pupa_lexicon_nentries(lex); i++) {
            const pupa_entry *e = pupa_lexicon_entry(lex, i);
            prefixes += e->kind == PUPA_ENTRY_PREFIX;
            two_words += !strcmp(e->norm, "kind of");
        }
        CHECK_EQ_INT(prefixes, 4);
        CHECK_EQ_INT(two_words, 2);
        pupa_matcher *m = NULL;
        CHECK_EQ_INT(pupa_matcher_new(&m, lex), 0);
        const pupa_hit *h;
        size_t n = 0;
        const char *text = "I hated that kind of work";
        CHECK_EQ_INT(pupa_match(m, text, strlen(text), &h, &n, NULL), 0);
        CHECK_EQ_INT(n, 6); /* hated; kind of x2; work x3 */
        pupa_matcher_free(m);
        pupa_lexicon_free(lex);
    }
    free(yaml);
}

static void expect_fail(const char *dic, int want, const char *msg)
{
    char *yaml = (char *)1;
    size_t len = 7;
    int rc = pupa_liwc_to_yaml(put("bad.dic", dic), &yaml, &len, NULL, NULL, NULL);
    if (rc != want || yaml != NULL || len != 0 || !strstr(pupa_errmsg(), msg)) {
        fprintf(stderr, "import of %s gave %d \"%s\", wanted %d \"%s\"\n", dic, rc,
                pupa_errmsg(), want, msg);
        check_failures++;
    }
}

static void test_errors(void)
{
    expect_fail("1\tposemo\n%\nhappy\t1\n", PUPA_EFORMAT, "bad.dic:1:");
    expect_fail("%\n1\tposemo\nhappy\t1\n", PUPA_EFORMAT, "not closed");
    expect_fail("%\n1\tposemo\n%\nhappy\t1\n%\n", PUPA_EFORMAT, "bad.dic:5:");
    expect_fail("%\n1\tpos\xC3\n%\n", PUPA_EUTF8, "bad.dic:2:");
    char *yaml = NULL;
    size_t len = 0;
    CHECK_EQ_INT(pupa_liwc_to_yaml("/nonexistent/x.dic", &yaml, &len, NULL, NULL, NULL),
                 PUPA_ENOTFOUND);
    CHECK_EQ_INT(pupa_liwc_to_yaml(NULL, &yaml, &len, NULL, NULL, NULL), PUPA_EINVAL);
    /* an empty legend and no terms is an empty codebook, not a crash */
    CHECK_EQ_INT(pupa_liwc_to_yaml(put("e.dic", "%\n%\n"), &yaml, &len, NULL, NULL, NULL), 0);
    free(yaml);
}

int main(void)
{
    tmp_setup("liwc");
    test_import();
    test_errors();
    tmp_cleanup();
    return check_result();
}
