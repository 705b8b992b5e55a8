/*
 * test_khmerda.c: ICU's Khmer dictionary as a double array (khmerda.c).
 *
 *  - the array laid out now from ICU's trie is the one compiled into the
 *    library, cell for cell (the build and a start on another ICU give
 *    the same array);
 *  - every labelled cell has exactly one parent: no step can land in a
 *    cell that is another node's child;
 *  - common words are words, their prefixes lead on, non-words are not;
 *  - the check that guards the engine refuses arrays whose steps would
 *    leave them.
 * The engine's boundaries over this array are held to ICU's by
 * test_khmerbreak.
 */
#include "check.h"
#include "internal.h"

static uint32_t label(uint32_t cell) { return (cell >> 2) & 0xFF; }

/* Walks the UTF-8 Khmer string s (U+1780-U+17FF only) from the root: the
 * last cell's WORD and MORE bits, or -1 when the walk falls off. */
static int walk(const uint32_t *cells, const char *s)
{
    uint32_t cell = cells[PUPA_DA_ROOT];
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i += 3) {
        int c = pupa_khmer_index((const unsigned char *)s + i, n - i);
        if (c < 0 || !(cell & PUPA_DA_MORE))
            return -1;
        cell = cells[(cell >> 10) + (uint32_t)c];
        if (label(cell) != (uint32_t)c + 1)
            return -1;
    }
    return (int)(cell & 3);
}

int main(void)
{
    size_t bytes = 0;
    const uint8_t *trie = pupa_khmer_dict_trie(&bytes);
    CHECK(trie != NULL);
    if (!trie)
        return check_result();
    uint32_t *cells = NULL;
    size_t n = 0;
    CHECK_EQ_INT(pupa_khmer_da_build(trie, bytes, &cells, &n), 1);
    if (!cells)
        return check_result();
    printf("%zu cells from a trie of %zu bytes\n", n, bytes);

    /* The compiled array is this one, built from this very trie. */
    CHECK(pupa_khmer_da_fingerprint(trie, bytes) == pupa_khmer_da_compiled_from);
    CHECK_EQ_INT(pupa_khmer_da_compiled_cells, n);
    CHECK(n == pupa_khmer_da_compiled_cells &&
          memcmp(cells, pupa_khmer_da_compiled, n * sizeof *cells) == 0);
    CHECK_EQ_INT(pupa_khmer_da_valid(pupa_khmer_da_compiled, pupa_khmer_da_compiled_cells), 1);

    /* One parent per labelled cell; count the words on the way. */
    size_t labelled = 0, reached = 0, words = 0;
    for (size_t i = 0; i < n; i++) {
        if (label(cells[i]))
            labelled++;
        if (cells[i] & PUPA_DA_WORD)
            words++;
        if (!(cells[i] & PUPA_DA_MORE))
            continue;
        uint32_t base = cells[i] >> 10;
        for (uint32_t c = 0; c < 0x80; c++)
            if (label(cells[base + c]) == c + 1)
                reached++;
    }
    printf("%zu labelled cells, %zu reached from a parent, %zu words\n", labelled, reached,
           words);
    CHECK(labelled > 100000);
    CHECK_EQ_INT(reached, labelled);
    CHECK(words > 50000);

    /* Words of any Khmer dictionary, written as escapes. */
    static const char *const words_in[] = {
        "\u1781\u17D2\u1789\u17BB\u17C6",                         /* ខ្ញុំ I */
        "\u179F\u17B6\u179B\u17B6",                               /* សាលា school */
        "\u1780\u17B6\u179A\u1784\u17B6\u179A",                   /* ការងារ work */
        "\u1780\u17B6\u179A",                                     /* ការ */
        "\u1782\u17D2\u179A\u17BD\u179F\u17B6\u179A",             /* គ្រួសារ family */
    };
    for (size_t k = 0; k < sizeof words_in / sizeof *words_in; k++)
        CHECK(walk(cells, words_in[k]) > 0 && (walk(cells, words_in[k]) & PUPA_DA_WORD));
    CHECK(walk(cells, "\u1780\u17B6\u179A") & PUPA_DA_MORE); /* ការ leads on to ការងារ */
    CHECK_EQ_INT(walk(cells, "\u1781\u17D2\u1789\u17BB"), PUPA_DA_MORE); /* ខ្ញុ: on the way */
    CHECK_EQ_INT(walk(cells, "\u17D2\u17D2\u17D2"), -1);     /* coengs alone */
    CHECK_EQ_INT(walk(cells, "\u1780\u17D2\u1780\u17D2\u1780\u17D2\u1780\u17D2\u1780"), -1);

    /* The guard refuses what a damaged array would do. */
    uint32_t *bad = malloc(n * sizeof *bad);
    CHECK(bad != NULL);
    if (bad) {
        size_t more = 1;
        while (!(cells[more] & PUPA_DA_MORE))
            more++;
        memcpy(bad, cells, n * sizeof *bad);
        bad[more] = (bad[more] & 0x3FF) | (uint32_t)(n - 0x40) << 10; /* a base too near the end */
        CHECK_EQ_INT(pupa_khmer_da_valid(bad, n), 0);
        memcpy(bad, cells, n * sizeof *bad);
        bad[PUPA_DA_ROOT] &= ~(uint32_t)PUPA_DA_MORE; /* a root that leads nowhere */
        CHECK_EQ_INT(pupa_khmer_da_valid(bad, n), 0);
        CHECK_EQ_INT(pupa_khmer_da_valid(cells, 0x80), 0); /* cut short */
        CHECK_EQ_INT(pupa_khmer_da_valid(NULL, n), 0);
        CHECK_EQ_INT(pupa_khmer_da_valid(cells, n), 1);
        free(bad);
    }
    free(cells);
    return check_result();
}
