/*
 * khmerda.c: ICU's Khmer dictionary, read from ICU's data and laid out
 * again as a double array, which the Khmer engine (khmerbreak.c) walks.
 *
 * Why.  ICU keeps the dictionary as a BytesTrie: compact (445 KB), but a
 * step through one of its branch nodes is a binary search, then a list
 * scan, each test a branch the CPU cannot predict.  Those steps were a
 * fifth of a Khmer-heavy build.  In a double array a step is one read and
 * one test: the walk from node s on character c goes to cell
 * base(s) + c, if that cell's label is c.  The engine alone ran 40%
 * faster on it.
 *
 * When.  Laying out the 284,000 nodes takes about 10 ms, too long to pay
 * at every start.  The build runs it once (gen_khmer_da.c) and compiles
 * the array into the library, with the fingerprint of the trie it came
 * from.  At start-up the engine takes the compiled array if ICU's
 * dictionary still has that fingerprint, and lays out a new one if not
 * (another ICU underneath, say).  Either way the engine then checks itself
 * against ICU's iterator.
 *
 * The cells.  A cell is 32 bits: base << 10 | (c + 1) << 2 | MORE | WORD,
 * where c is the character (code point minus U+1780) that leads to it,
 * WORD says the characters so far are a word, and MORE that longer words
 * go on from here.  A free cell is 0 (no label).  No two nodes share a
 * base, so the label names the parent too: parent p reaching cell
 * base(p) + c finds the label of c there only if the cell is its child.
 * Nodes are placed depth first, so a word's path lies close together.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/udata.h>

/* --------------------------------------------- ICU's dictionary file */

/* ICU's dictionary header (ICU's dictionarydata.h names them): int32
 * indexes, among them the offset of the trie, its type (bytes: 0) and its
 * transform (an offset of U+1780).  The data is ICU's own, opened once and
 * kept for the life of the process (the engine walks the compiled array,
 * but builds from the trie when that is stale). */
enum { IX_TRIE_OFFSET = 0, IX_TOTAL_SIZE = 3, IX_TRIE_TYPE = 4, IX_TRANSFORM = 5, IX_COUNT = 8 };

static UDataMemory *dict_data;

const uint8_t *pupa_khmer_dict_trie(size_t *bytes)
{
    UErrorCode st = U_ZERO_ERROR;
    UDataMemory *data = dict_data;
    if (!data)
        data = udata_open(U_ICUDATA_NAME U_TREE_SEPARATOR_STRING "brkitr", "dict", "khmerdict",
                          &st);
    if (U_FAILURE(st) || !data)
        return NULL;
    UDataInfo info;
    info.size = sizeof info;
    udata_getInfo(data, &info);
    const int32_t *ix = udata_getMemory(data);
    if (memcmp(info.dataFormat, "Dict", 4) != 0 || info.formatVersion[0] != 1 || !ix ||
        ix[IX_TRIE_OFFSET] < (int32_t)(IX_COUNT * sizeof(int32_t)) ||
        ix[IX_TRIE_OFFSET] >= ix[IX_TOTAL_SIZE] || (ix[IX_TRIE_TYPE] & 7) != 0 ||
        ix[IX_TRANSFORM] != (0x1000000 | 0x1780)) {
        udata_close(data);
        dict_data = NULL;
        return NULL;
    }
    dict_data = data;
    *bytes = (size_t)(ix[IX_TOTAL_SIZE] - ix[IX_TRIE_OFFSET]);
    return (const uint8_t *)ix + ix[IX_TRIE_OFFSET];
}

uint64_t pupa_khmer_da_fingerprint(const uint8_t *trie, size_t bytes)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ bytes;
    size_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
        uint64_t w;
        memcpy(&w, trie + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    for (; i < bytes; i++)
        h = (h ^ trie[i]) * 0x100000001B3ull;
    return h;
}

/* ------------------------------------------------- ICU's BytesTrie */

/* The trie's format is documented in ICU's public unicode/bytestrie.h:
 * lead bytes 00-0f branch, 10-1f match 1-16 bytes in a row, 20-ff a value
 * (odd: final).  Here it is only enumerated, node by node. */

/* A place in the trie: the next byte to read, and inside a linear-match
 * node the bytes left in it after this one (-1 outside one). */
typedef struct trie_pos {
    const uint8_t *p;
    int32_t run_left;
} trie_pos;

/* A step out of a place: its byte, where it leads, and what it makes
 * (PUPA_DA_WORD, PUPA_DA_MORE). */
typedef struct trie_edge {
    uint8_t byte, what;
    trie_pos to;
} trie_edge;

static const uint8_t *skip_value(const uint8_t *p, int lead)
{
    if (lead >= 0xA2) { /* two or more bytes */
        if (lead < 0xD8)
            p += 1;
        else if (lead < 0xFC)
            p += 2;
        else
            p += 3 + ((lead >> 1) & 1);
    }
    return p;
}

/* Reads a compact integer whose lead byte (already read) is `lead`: one
 * byte below two_lead (lead - one_base), then two, three, four or five.
 * Jump deltas and values share the shape with different thresholds. */
static const uint8_t *read_compact(const uint8_t *p, int lead, int one_base, int two_lead,
                                   int three_lead, int four_lead, int32_t *out)
{
    if (lead < two_lead) {
        *out = lead - one_base;
    } else if (lead < three_lead) {
        *out = ((lead - two_lead) << 8) | *p++;
    } else if (lead < four_lead) {
        *out = ((lead - three_lead) << 16) | (p[0] << 8) | p[1];
        p += 2;
    } else if (lead == four_lead) {
        *out = (p[0] << 16) | (p[1] << 8) | p[2];
        p += 3;
    } else {
        *out = (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | (p[2] << 8) | p[3]);
        p += 4;
    }
    return p;
}

static const uint8_t *jump_by_delta(const uint8_t *p)
{
    int32_t d;
    int lead = *p++;
    p = read_compact(p, lead, 0, 0xC0, 0xF0, 0xFE, &d);
    return p + d;
}

static const uint8_t *skip_delta(const uint8_t *p)
{
    int d = *p++;
    if (d >= 0xC0)
        p += d < 0xF0 ? 1 : d < 0xFE ? 2 : 3 + (d & 1);
    return p;
}

/* What the node at p makes of the bytes that led to it. */
static uint8_t landing(const uint8_t *p)
{
    int node = *p;
    if (node < 0x20)
        return PUPA_DA_MORE;
    /* a final value, or an intermediate one with a node after it */
    return node & 1 ? PUPA_DA_WORD : PUPA_DA_WORD | PUPA_DA_MORE;
}

/* The edges of the branch node at p with `length` entries, appended to
 * out[n...] in byte order; returns the new count.  A node of more than
 * five entries is a binary search: a byte that splits it, the jump to the
 * lower half, then the upper half. */
static int branch_edges(const uint8_t *p, int length, trie_edge *out, int n)
{
    while (length > 5) {
        p++;
        n = branch_edges(jump_by_delta(p), length >> 1, out, n);
        length -= length >> 1;
        p = skip_delta(p);
    }
    do {
        trie_edge *e = &out[n++];
        e->byte = *p++;
        int value = *p; /* a final value (a word ends), or the jump to a node */
        if (value & 1) {
            e->what = PUPA_DA_WORD;
            e->to = (trie_pos){NULL, -1};
        } else {
            int32_t d;
            const uint8_t *to = read_compact(p + 1, value >> 1, 0x10, 0x51, 0x6C, 0x7E, &d) + d;
            e->what = landing(to);
            e->to = (trie_pos){to, -1};
        }
        p = skip_value(p + 1, value);
    } while (--length > 1);
    out[n].byte = *p++; /* the last entry: its node follows */
    out[n].what = landing(p);
    out[n].to = (trie_pos){p, -1};
    return n + 1;
}

/* The edges out of `at`, in byte order, into out (room for 256); returns
 * how many. */
static int trie_edges(trie_pos at, trie_edge *out)
{
    const uint8_t *p = at.p;
    int32_t left = at.run_left;
    if (left < 0) {
        for (;;) {
            int node = *p++;
            if (node < 0x10) { /* a branch; 0: its length is in the next byte */
                int length = node ? node : *p++;
                return branch_edges(p, length + 1, out, 0);
            }
            if (node < 0x20) { /* a linear match of node - 0x0f bytes */
                left = node - 0x10;
                break;
            }
            if (node & 1)
                return 0; /* a final value: nothing follows */
            p = skip_value(p, node); /* an intermediate value; a node follows */
        }
    }
    out[0] = (trie_edge){*p, left > 0 ? PUPA_DA_MORE : landing(p + 1), {p + 1, left - 1}};
    return 1;
}

/* ------------------------------------------------ the layout */

enum {
    LABELS = 0x80, /* characters U+1780-U+17FF; the engine reads no other */
    MAX_CELLS = 1u << 22,
    TRIES = 8 /* a free cell tried this often as a base is skipped */
};

/* While laying out: the cells, and for each cell a hint towards the first
 * free cell at or after it (a union-find forest: following the hints,
 * with the path shortened as it goes, skips the taken cells), how often a
 * base there was tried in vain (else every wide node would try the same
 * old holes), and whether a node has it as its base. */
typedef struct layout {
    uint32_t *cells;
    size_t cap;
    uint32_t *free_hint;
    uint8_t *tries, *base_taken;
    size_t spare; /* no base below this is free */
} layout;

/* Makes room for cells [0, need) (new ones free); 0 when out of memory or
 * past MAX_CELLS. */
static int reserve(layout *l, size_t need)
{
    if (need <= l->cap)
        return 1;
    if (need > MAX_CELLS)
        return 0;
    size_t cap = l->cap ? l->cap : need;
    while (cap < need)
        cap += cap / 2;
    uint32_t *cells = realloc(l->cells, cap * sizeof *cells);
    if (cells)
        l->cells = cells;
    uint32_t *hint = cells ? realloc(l->free_hint, cap * sizeof *hint) : NULL;
    if (hint)
        l->free_hint = hint;
    uint8_t *tries = hint ? realloc(l->tries, cap) : NULL;
    if (tries)
        l->tries = tries;
    uint8_t *taken = tries ? realloc(l->base_taken, cap) : NULL;
    if (!taken)
        return 0;
    l->base_taken = taken;
    size_t fresh = cap - l->cap;
    memset(cells + l->cap, 0, fresh * sizeof *cells);
    memset(tries + l->cap, 0, fresh);
    memset(taken + l->cap, 0, fresh);
    for (size_t i = l->cap; i < cap; i++)
        hint[i] = (uint32_t)i;
    l->cap = cap;
    return 1;
}

/* The first free cell at or after i.  The hints never lead past the
 * cells reserved: a base tried always has LABELS + 1 cells after it. */
static size_t first_free(layout *l, size_t i)
{
    size_t f = i;
    while (l->free_hint[f] != f)
        f = l->free_hint[f];
    while (l->free_hint[i] != f) {
        size_t up = l->free_hint[i];
        l->free_hint[i] = (uint32_t)f;
        i = up;
    }
    return f;
}

static void take(layout *l, size_t t, uint32_t cell)
{
    l->cells[t] = cell;
    l->free_hint[t] = (uint32_t)(t + 1);
}

/* The lowest base, no node's yet, whose cells for the edges' bytes are
 * all free (room is kept past every base for any label); SIZE_MAX when out
 * of memory. */
static size_t find_base(layout *l, const trie_edge *edges, int n)
{
    for (size_t f = first_free(l, 1);; f = first_free(l, f + 1)) {
        if (f < edges[0].byte)
            continue;
        size_t base = f - edges[0].byte;
        if (!reserve(l, base + LABELS + 1))
            return SIZE_MAX;
        if (l->base_taken[base])
            continue;
        int k = 1;
        while (k < n && l->cells[base + edges[k].byte] == 0)
            k++;
        if (k == n) {
            l->base_taken[base] = 1;
            return base;
        }
        if (++l->tries[f] == TRIES)
            l->free_hint[f] = (uint32_t)(f + 1);
    }
}

/* A base no node has, for a node with no children here; SIZE_MAX when
 * out of memory.  Its cells may be other nodes' children: their labels
 * name other parents. */
static size_t spare_base(layout *l)
{
    size_t base = l->spare;
    while (base < l->cap && l->base_taken[base])
        base++;
    l->spare = base + 1;
    if (!reserve(l, base + LABELS + 1))
        return SIZE_MAX;
    l->base_taken[base] = 1;
    return base;
}

int pupa_khmer_da_build(const uint8_t *trie, size_t trie_bytes, uint32_t **cells_out,
                        size_t *ncells)
{
    typedef struct pending {
        trie_pos at;
        uint32_t cell;
    } pending;
    layout l = {NULL, 0, NULL, NULL, NULL, 1};
    size_t stack_cap = 1 << 12, top = 0, used = 1;
    pending *stack = malloc(stack_cap * sizeof *stack);
    trie_edge edges[256];
    /* Every node but the root takes a byte of the trie: room for all. */
    if (!stack || !reserve(&l, trie_bytes + LABELS + 1))
        goto fail;
    take(&l, PUPA_DA_ROOT, PUPA_DA_MORE); /* label 0: no step ever lands on it */
    l.base_taken[0] = 1; /* every node that leads on has a base of its own */
    stack[top++] = (pending){{trie, -1}, PUPA_DA_ROOT};
    while (top > 0) {
        pending node = stack[--top];
        int n = trie_edges(node.at, edges), kept = 0;
        for (int k = 0; k < n; k++) /* bytes past U+17FF: never in a plain run */
            if (edges[k].byte < LABELS)
                edges[kept++] = edges[k];
        /* A node whose words go on only with ZWJ or ZWNJ (bytes FE, FF)
         * still leads on for ICU, whose walk reads one character more
         * before it stops: give it a base of its own with no children. */
        size_t base = kept ? find_base(&l, edges, kept) : spare_base(&l);
        if (base == SIZE_MAX)
            goto fail;
        l.cells[node.cell] |= (uint32_t)base << 10;
        for (int k = 0; k < kept; k++) {
            size_t t = base + edges[k].byte;
            take(&l, t, (uint32_t)(edges[k].byte + 1) << 2 | edges[k].what);
            if (t + 1 > used)
                used = t + 1;
            if (!(edges[k].what & PUPA_DA_MORE))
                continue;
            if (top == stack_cap) {
                pending *grown = realloc(stack, 2 * stack_cap * sizeof *grown);
                if (!grown)
                    goto fail;
                stack = grown;
                stack_cap *= 2;
            }
            stack[top++] = (pending){edges[k].to, (uint32_t)t};
        }
    }
    /* The cells in use, and room for any label past the last base. */
    if (!reserve(&l, used + LABELS))
        goto fail;
    free(stack);
    free(l.free_hint);
    free(l.tries);
    free(l.base_taken);
    *ncells = used + LABELS;
    *cells_out = l.cells;
    return pupa_khmer_da_valid(l.cells, *ncells);
fail:
    free(stack);
    free(l.free_hint);
    free(l.tries);
    free(l.base_taken);
    free(l.cells);
    *cells_out = NULL;
    *ncells = 0;
    return 0;
}

int pupa_khmer_da_valid(const uint32_t *cells, size_t n)
{
    if (!cells || n <= LABELS || n > MAX_CELLS || !(cells[PUPA_DA_ROOT] & PUPA_DA_MORE))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((cells[i] & PUPA_DA_MORE) && (cells[i] >> 10) + LABELS > n)
            return 0;
    return 1;
}
