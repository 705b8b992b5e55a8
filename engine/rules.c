/*
 * rules.c: the rule layer of a codebook, evaluated per segment after the
 * Hyperscan scan.
 *
 * Owns: parsing rule expressions (the `.rule` key), exclusion lists
 * (`.exclude`), polar negation (`.negated_as`), the codebook's negation
 * settings (`.negation`), hidden codes (any path component starting with
 * "."), their resolution and ordering at load time, and pupa_rules_apply(),
 * the hook match.c calls once per segment.  docs/lexicon.md is the user's
 * description; this comment is the implementer's.
 *
 * Expressions.  Operands are code paths; a path stands for the hits of that
 * code and of every code below it.  From loosest to tightest binding:
 *   A OR B                 the hits of both
 *   A AND B, A AND NOT B   A's hits, when B has (has no) counted hit in the
 *                          segment
 *   A NEAR/n B             A and B at most n tokens apart (adjacent = 1),
 *   A BEFORE/n B           ... with B after A; both give one hit spanning
 *                          the two, negated when either is
 *   A NOT NEAR/n B, A NOT BEFORE/n B
 *                          A's hits with no counted B that close
 * Proximity never crosses a sentence end (. ! ? ។ ៕ between the two).
 * "Counted" means not negated: "my mother comforts me, she never scolds
 * me" must not lose the comfort to a negated scolding.
 *
 * Why no second pass over the text: everything here reads the hit list and
 * the token stream pupa_match already built; the only bytes of the text it
 * reads are the gaps between two hits a proximity test pairs, to see a
 * sentence end, and the norm text at the few tokens before a hit for
 * negation cues.
 *
 * Memory.  The hook allocates nothing of its own: intermediate results live
 * in the tail of the matcher's hit array, past the hits, as a stack of
 * blocks (a node's children push their blocks, the node pushes its result
 * and moves it down over them).  Offsets, never pointers, are kept, since
 * the array may move when it grows.
 *
 * Order.  A rule may read codes that other rules, or .negated_as, produce.
 * Each rule and each .negated_as is a step that produces one code and reads
 * a set of codes; steps run in a topological order computed at load time,
 * and a cycle is a load error naming the rule.
 */
#include "rules.h"
#include "scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARSE_DEPTH 64
#define MAX_DISTANCE 1000
#define MAX_WINDOW 16
#define DEAD UINT32_MAX

enum { N_REF, N_OR, N_AND, N_ANDNOT, N_NEAR, N_BEFORE, N_NOTNEAR, N_NOTBEFORE };

typedef struct rnode {
    uint8_t op;
    uint32_t dist;
    int32_t a, b; /* children */
    int32_t ref;  /* N_REF: index into refs */
} rnode;

typedef struct rref {
    char *path;
    uint32_t step;
    uint64_t *bits; /* the codes it stands for */
} rref;

enum { STEP_RULE, STEP_NEGATED_AS };

typedef struct rstep {
    int kind;
    uint32_t code;     /* the code it produces */
    uint32_t entry;    /* STEP_RULE: its pseudo-entry */
    int32_t root;      /* STEP_RULE */
    char *expr;        /* STEP_RULE: the expression; STEP_NEGATED_AS: the target */
    char *source_path; /* STEP_NEGATED_AS */
    uint32_t source;
    const char *file;
    uint32_t line;
    uint64_t *reads;
} rstep;

typedef struct rexcl {
    char *code_path, *excl_path;
} rexcl;

/* A negation word, with what the per-token tests need of it. */
typedef struct rcue {
    char *s;
    size_t len;
    int khmer; /* begins with a Khmer letter: may end inside a token */
} rcue;
typedef struct cue_list {
    rcue *v;
    size_t n, cap;
    /* v's indices by the cue's first byte: by_first[first_off[b] ..
     * first_off[b + 1]) begin with byte b (index_cues). */
    uint32_t first_off[257];
    uint32_t *by_first;
} cue_list;

struct pupa_ruleset {
    rstep *steps;
    size_t nsteps, steps_cap;
    rnode *nodes;
    size_t nnodes, nodes_cap;
    rref *refs;
    size_t nrefs, refs_cap;
    rexcl *excl;
    size_t nexcl, excl_cap;
    /* The codebook's negation words, by kind (PUPA_CUE, PUPA_NOT_CUE, and
     * PUPA_CUE_STOP: words that end a negation's scope, like punctuation). */
    cue_list cues[3];
    int window, has_negation;
    /* resolved */
    size_t ncodes, words;
    uint8_t *hidden, *used, *is_excl;
    uint32_t *excl_off, *excl_list; /* per code: excl_list[excl_off[c] .. excl_off[c+1]) */
    uint32_t *order;
    /* Per code c, the places in `order` of the steps that read it:
     * readers[readers_off[c] .. readers_off[c + 1]), ascending. */
    uint32_t *readers_off, *readers;
    int active, needs_tokens;
};

int pupa_ruleset_new(pupa_ruleset **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    (*out)->window = PUPA_NEGATION_WINDOW;
    return 0;
}

static void free_cues(cue_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].s);
    free(l->v);
    free(l->by_first);
}

/* Fills l's first-byte index (see cue_list): a counting sort, so cues of
 * one first byte keep the list's order. */
static int index_cues(cue_list *l)
{
    free(l->by_first);
    if (!(l->by_first = calloc(l->n + 1, sizeof *l->by_first)))
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    uint32_t at[257] = {0};
    for (size_t i = 0; i < l->n; i++)
        at[(unsigned char)l->v[i].s[0] + 1]++;
    for (int b = 0; b < 256; b++)
        at[b + 1] += at[b];
    memcpy(l->first_off, at, sizeof l->first_off);
    for (size_t i = 0; i < l->n; i++)
        l->by_first[at[(unsigned char)l->v[i].s[0]]++] = (uint32_t)i;
    return 0;
}

void pupa_ruleset_free(pupa_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->nsteps; i++) {
        free(rs->steps[i].expr);
        free(rs->steps[i].source_path);
        free(rs->steps[i].reads);
    }
    free(rs->steps);
    free(rs->nodes);
    for (size_t i = 0; i < rs->nrefs; i++) {
        free(rs->refs[i].path);
        free(rs->refs[i].bits);
    }
    free(rs->refs);
    for (size_t i = 0; i < rs->nexcl; i++) {
        free(rs->excl[i].code_path);
        free(rs->excl[i].excl_path);
    }
    free(rs->excl);
    for (int k = 0; k < 3; k++)
        free_cues(&rs->cues[k]);
    free(rs->hidden);
    free(rs->used);
    free(rs->is_excl);
    free(rs->excl_off);
    free(rs->excl_list);
    free(rs->order);
    free(rs->readers_off);
    free(rs->readers);
    free(rs);
}

/* ------------------------------------------------------------ parsing */

typedef struct parser {
    pupa_ruleset *rs;
    const char *expr, *p;
    const char *file;
    uint32_t line, step;
    int depth;
} parser;

enum { T_END, T_LP, T_RP, T_AND, T_OR, T_NOT, T_NEAR, T_BEFORE, T_REF, T_BAD };

typedef struct token {
    int type;
    const char *s; /* the token's text */
    size_t len;
    uint32_t dist;
} token;

static int perr(parser *ps, const char *what, const token *at)
{
    if (at && at->type != T_END)
        return pupa_fail(PUPA_ELEXICON, "%s:%u: rule '%s': %s at '%.*s'", ps->file, ps->line,
                         ps->expr, what, (int)(at->len > 40 ? 40 : at->len), at->s);
    return pupa_fail(PUPA_ELEXICON, "%s:%u: rule '%s': %s at the end", ps->file, ps->line,
                     ps->expr, what);
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* "NEAR/5" -> T_NEAR, dist 5.  Keywords are upper case only, so a code
 * may be called "near". */
static int keyword(const char *s, size_t n, const char *kw, uint32_t *dist)
{
    size_t k = strlen(kw);
    if (n <= k + 1 || memcmp(s, kw, k) != 0 || s[k] != '/')
        return n == k && memcmp(s, kw, k) == 0 ? -1 : 0;
    uint32_t d = 0;
    for (size_t i = k + 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || d > MAX_DISTANCE)
            return -1;
        d = d * 10 + (uint32_t)(s[i] - '0');
    }
    if (d == 0 || d > MAX_DISTANCE)
        return -1;
    *dist = d;
    return 1;
}

static token peek(parser *ps)
{
    const char *p = ps->p;
    while (is_space(*p))
        p++;
    token t = {.type = T_END, .s = p, .len = 0};
    if (!*p)
        return t;
    if (*p == '(' || *p == ')') {
        t.type = *p == '(' ? T_LP : T_RP;
        t.len = 1;
        return t;
    }
    if (*p == '"') {
        const char *q = strchr(p + 1, '"');
        t.type = q && q > p + 1 ? T_REF : T_BAD;
        t.len = q ? (size_t)(q - p) + 1 : strlen(p);
        return t;
    }
    const char *q = p;
    while (*q && !is_space(*q) && *q != '(' && *q != ')' && *q != '"')
        q++;
    t.len = (size_t)(q - p);
    t.type = T_REF;
    if (t.len == 3 && !memcmp(p, "AND", 3))
        t.type = T_AND;
    else if (t.len == 2 && !memcmp(p, "OR", 2))
        t.type = T_OR;
    else if (t.len == 3 && !memcmp(p, "NOT", 3))
        t.type = T_NOT;
    else {
        int k = keyword(p, t.len, "NEAR", &t.dist);
        if (k)
            t.type = k > 0 ? T_NEAR : T_BAD;
        else if ((k = keyword(p, t.len, "BEFORE", &t.dist)))
            t.type = k > 0 ? T_BEFORE : T_BAD;
    }
    return t;
}

static void take(parser *ps, const token *t) { ps->p = t->s + t->len; }

static int add_node(parser *ps, int op, int32_t a, int32_t b, uint32_t dist, int32_t ref)
{
    pupa_ruleset *rs = ps->rs;
    int rc = pupa_grow(&rs->nodes, &rs->nodes_cap, rs->nnodes + 1, sizeof *rs->nodes);
    if (rc)
        return rc;
    rs->nodes[rs->nnodes] = (rnode){.op = (uint8_t)op, .dist = dist, .a = a, .b = b, .ref = ref};
    return (int)rs->nnodes++;
}

static int parse_or(parser *ps);

static int parse_atom(parser *ps)
{
    token t = peek(ps);
    if (t.type == T_LP) {
        take(ps, &t);
        if (++ps->depth > MAX_PARSE_DEPTH)
            return perr(ps, "nested too deeply", &t);
        int n = parse_or(ps);
        if (n < 0)
            return n;
        token r = peek(ps);
        if (r.type != T_RP)
            return perr(ps, "expected ')'", &r);
        take(ps, &r);
        ps->depth--;
        return n;
    }
    if (t.type == T_BAD)
        return perr(ps, t.s[0] == '"' ? "unterminated or empty quoted code"
                                      : "NEAR and BEFORE take a distance from 1 to 1000, "
                                        "as in NEAR/5",
                    &t);
    if (t.type == T_NOT)
        return perr(ps, "NOT needs a left side: write 'A AND NOT B' or 'A NOT NEAR/5 B'", &t);
    if (t.type != T_REF)
        return perr(ps, "expected a code", &t);
    take(ps, &t);
    pupa_ruleset *rs = ps->rs;
    int rc = pupa_grow(&rs->refs, &rs->refs_cap, rs->nrefs + 1, sizeof *rs->refs);
    if (rc)
        return rc;
    const char *s = t.s;
    size_t len = t.len;
    if (*s == '"')
        s++, len -= 2;
    char *path = pupa_strndup(s, len);
    if (!path)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    rs->refs[rs->nrefs] = (rref){.path = path, .step = ps->step};
    return add_node(ps, N_REF, -1, -1, 0, (int32_t)rs->nrefs++);
}

static int parse_prox(parser *ps)
{
    int a = parse_atom(ps);
    while (a >= 0) {
        token t = peek(ps);
        int neg = 0;
        if (t.type == T_NOT) {
            const char *save = ps->p;
            take(ps, &t);
            token u = peek(ps);
            if (u.type != T_NEAR && u.type != T_BEFORE) {
                ps->p = save;
                return perr(ps, "NOT after a code must be followed by NEAR/n or BEFORE/n", &u);
            }
            neg = 1;
            t = u;
        }
        if (t.type == T_BAD && t.s[0] != '"')
            return perr(ps, "NEAR and BEFORE take a distance from 1 to 1000, as in NEAR/5", &t);
        if (t.type != T_NEAR && t.type != T_BEFORE)
            break;
        take(ps, &t);
        int b = parse_atom(ps);
        if (b < 0)
            return b;
        int op = t.type == T_NEAR ? (neg ? N_NOTNEAR : N_NEAR) : (neg ? N_NOTBEFORE : N_BEFORE);
        a = add_node(ps, op, a, b, t.dist, -1);
    }
    return a;
}

static int parse_and(parser *ps)
{
    int a = parse_prox(ps);
    while (a >= 0) {
        token t = peek(ps);
        if (t.type != T_AND)
            break;
        take(ps, &t);
        int op = N_AND;
        token u = peek(ps);
        if (u.type == T_NOT) {
            take(ps, &u);
            op = N_ANDNOT;
        }
        int b = parse_prox(ps);
        if (b < 0)
            return b;
        a = add_node(ps, op, a, b, 0, -1);
    }
    return a;
}

static int parse_or(parser *ps)
{
    int a = parse_and(ps);
    while (a >= 0) {
        token t = peek(ps);
        if (t.type != T_OR)
            break;
        take(ps, &t);
        int b = parse_and(ps);
        if (b < 0)
            return b;
        a = add_node(ps, N_OR, a, b, 0, -1);
    }
    return a;
}

static int add_step(pupa_ruleset *rs, const rstep *s)
{
    int rc = pupa_grow(&rs->steps, &rs->steps_cap, rs->nsteps + 1, sizeof *rs->steps);
    if (rc)
        return rc;
    rs->steps[rs->nsteps++] = *s;
    return 0;
}

int pupa_ruleset_add_rule(pupa_ruleset *rs, uint32_t code, uint32_t entry, const char *expr,
                          const char *file, uint32_t line)
{
    parser ps = {.rs = rs, .expr = expr, .p = expr, .file = file, .line = line,
                 .step = (uint32_t)rs->nsteps};
    size_t nodes0 = rs->nnodes, refs0 = rs->nrefs;
    int root = parse_or(&ps);
    if (root >= 0) {
        token t = peek(&ps);
        if (t.type != T_END)
            root = perr(&ps,
                        t.type == T_RP ? "unbalanced ')'"
                                       : "expected AND, OR, NOT, NEAR/n or BEFORE/n",
                        &t);
    }
    rstep s = {.kind = STEP_RULE, .code = code, .entry = entry, .root = root, .file = file,
               .line = line};
    if (root >= 0 && !(s.expr = pupa_strdup(expr)))
        root = pupa_fail(PUPA_ENOMEM, "out of memory");
    if (root >= 0 && (root = add_step(rs, &s)) == 0)
        return 0;
    free(s.expr);
    /* Undo the nodes and references of the failed expression. */
    for (size_t i = refs0; i < rs->nrefs; i++)
        free(rs->refs[i].path);
    rs->nrefs = refs0;
    rs->nnodes = nodes0;
    return root;
}

int pupa_ruleset_add_exclusion(pupa_ruleset *rs, const char *code_path, const char *excl_path)
{
    int rc = pupa_grow(&rs->excl, &rs->excl_cap, rs->nexcl + 1, sizeof *rs->excl);
    if (rc)
        return rc;
    rexcl x = {pupa_strdup(code_path), pupa_strdup(excl_path)};
    if (!x.code_path || !x.excl_path) {
        free(x.code_path);
        free(x.excl_path);
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    rs->excl[rs->nexcl++] = x;
    return 0;
}

int pupa_ruleset_add_negated_as(pupa_ruleset *rs, const char *code_path, const char *target,
                                const char *file, uint32_t line)
{
    rstep s = {.kind = STEP_NEGATED_AS, .root = -1, .file = file, .line = line};
    s.expr = pupa_strdup(target);
    s.source_path = pupa_strdup(code_path);
    int rc = s.expr && s.source_path ? add_step(rs, &s) : pupa_fail(PUPA_ENOMEM, "out of memory");
    if (rc) {
        free(s.expr);
        free(s.source_path);
    }
    return rc;
}

int pupa_ruleset_set_window(pupa_ruleset *rs, int window)
{
    if (window < 1 || window > MAX_WINDOW)
        return pupa_fail(PUPA_ELEXICON, "negation window must be 1 to %d", MAX_WINDOW);
    rs->window = window;
    rs->has_negation = 1;
    return 0;
}

int pupa_ruleset_add_cue(pupa_ruleset *rs, const char *norm, int kind)
{
    cue_list *l = &rs->cues[kind == PUPA_NOT_CUE ? PUPA_NOT_CUE
                            : kind == PUPA_CUE_STOP ? PUPA_CUE_STOP : PUPA_CUE];
    int rc = pupa_grow(&l->v, &l->cap, l->n + 1, sizeof *l->v);
    if (rc)
        return rc;
    rcue *c = &l->v[l->n];
    if (!(c->s = pupa_strdup(norm)))
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    c->len = strlen(norm);
    size_t k = pupa_utf8_len((const unsigned char *)norm, c->len);
    c->khmer = k && pupa_is_khmer_cp(pupa_utf8_decode((const unsigned char *)norm, k));
    l->n++;
    rs->has_negation = 1;
    return 0;
}

/* ---------------------------------------------------------- resolving */

typedef struct resolver {
    pupa_ruleset *rs;
    const pupa_lexicon *lex;
    void (*problem)(void *, const char *, uint32_t, const char *);
    void *ctx;
    size_t nproblems;
} resolver;

/* Reports a problem: to the callback when there is one (and carries on),
 * else as the failure of the load. */
static int problem(resolver *r, const char *file, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int problem(resolver *r, const char *file, uint32_t line, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->nproblems++;
    if (r->problem) {
        r->problem(r->ctx, file, line, msg);
        return 0;
    }
    return file ? pupa_fail(PUPA_ELEXICON, "%s:%u: %s", file, line, msg)
                : pupa_fail(PUPA_ELEXICON, "%s", msg);
}

static int bit(const uint64_t *b, uint32_t i) { return (int)((b[i >> 6] >> (i & 63)) & 1); }
static void set_bit(uint64_t *b, uint32_t i) { b[i >> 6] |= (uint64_t)1 << (i & 63); }
static int any_common(const uint64_t *a, const uint64_t *b, size_t words)
{
    for (size_t i = 0; i < words; i++)
        if (a[i] & b[i])
            return 1;
    return 0;
}

/* Is code path c the path p, or below it? */
static int under(const char *c, const char *p)
{
    size_t n = strlen(p);
    return strncmp(c, p, n) == 0 && (c[n] == '\0' || c[n] == '/');
}

static int find_code(const pupa_lexicon *lex, const char *path, uint32_t *out)
{
    for (size_t i = 0; i < pupa_lexicon_ncodes(lex); i++)
        if (!strcmp(pupa_lexicon_code(lex, (uint32_t)i), path)) {
            *out = (uint32_t)i;
            return 1;
        }
    return 0;
}

static int is_hidden_path(const char *p)
{
    for (const char *s = p; s; s = strchr(s, '/')) {
        if (*s == '/')
            s++;
        if (*s == '.')
            return 1;
    }
    return 0;
}

static int resolve_refs(resolver *r)
{
    pupa_ruleset *rs = r->rs;
    size_t nc = rs->ncodes;
    for (size_t i = 0; i < rs->nrefs; i++) {
        rref *f = &rs->refs[i];
        rstep *s = &rs->steps[f->step];
        if (!(f->bits = calloc(rs->words, sizeof *f->bits)))
            return pupa_fail(PUPA_ENOMEM, "out of memory");
        int any = 0;
        /* A code's exclusion list is below it, but is not part of it. */
        for (size_t c = 0; c < nc; c++)
            if (!rs->is_excl[c] && under(pupa_lexicon_code(r->lex, (uint32_t)c), f->path)) {
                set_bit(f->bits, (uint32_t)c);
                set_bit(s->reads, (uint32_t)c);
                rs->used[c] = 1;
                any = 1;
            }
        int rc = 0;
        if (!any)
            rc = problem(r, s->file, s->line, "rule '%s': unknown code '%s'", s->expr, f->path);
        if (rc)
            return rc;
    }
    return 0;
}

static int resolve_negated_as(resolver *r, rstep *s)
{
    pupa_ruleset *rs = r->rs;
    if (!find_code(r->lex, s->source_path, &s->source))
        return problem(r, s->file, s->line,
                       ".negated_as: code '%s' has no entries or rules of its own",
                       s->source_path);
    char target[1024];
    const char *slash = strrchr(s->source_path, '/');
    if (strchr(s->expr, '/') || !slash)
        snprintf(target, sizeof target, "%s", s->expr);
    else
        snprintf(target, sizeof target, "%.*s/%s", (int)(slash - s->source_path), s->source_path,
                 s->expr);
    if (!find_code(r->lex, target, &s->code))
        return problem(r, s->file, s->line, ".negated_as: unknown code '%s'", target);
    if (s->code == s->source)
        return problem(r, s->file, s->line, ".negated_as: '%s' is the code itself", target);
    if (rs->hidden[s->code])
        return problem(r, s->file, s->line, ".negated_as: '%s' is a hidden code", target);
    set_bit(s->reads, s->source);
    rs->used[s->source] = 1;
    return 0;
}

/* Per code, the exclusion lists that apply to it: its own and its
 * ancestors'.  Exclusion lists are not subject to exclusions. */
static int resolve_exclusions(resolver *r)
{
    pupa_ruleset *rs = r->rs;
    size_t nc = rs->ncodes;
    uint32_t *ex = calloc(rs->nexcl + 1, sizeof *ex);
    if (!ex || !(rs->excl_off = calloc(nc + 1, sizeof *rs->excl_off))) {
        free(ex);
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < rs->nexcl; i++) {
        ex[i] = DEAD; /* an empty list made no code */
        if (find_code(r->lex, rs->excl[i].excl_path, &ex[i]))
            rs->is_excl[ex[i]] = rs->used[ex[i]] = 1;
    }
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        total = 0;
        for (size_t c = 0; c < nc; c++) {
            rs->excl_off[c] = (uint32_t)total;
            const char *path = pupa_lexicon_code(r->lex, (uint32_t)c);
            for (size_t i = 0; !rs->is_excl[c] && i < rs->nexcl; i++)
                if (ex[i] != DEAD && under(path, rs->excl[i].code_path)) {
                    if (pass)
                        rs->excl_list[total] = ex[i];
                    total++;
                }
        }
        rs->excl_off[nc] = (uint32_t)total;
        if (!pass && !(rs->excl_list = calloc(total + 1, sizeof *rs->excl_list))) {
            free(ex);
            return pupa_fail(PUPA_ENOMEM, "out of memory");
        }
    }
    free(ex);
    return 0;
}

/* Kahn's algorithm over the steps: p before s when s reads the code p
 * produces. */
static int order_steps(resolver *r)
{
    pupa_ruleset *rs = r->rs;
    size_t n = rs->nsteps;
    uint32_t *indeg = calloc(n + 1, sizeof *indeg);
    rs->order = calloc(n + 1, sizeof *rs->order);
    if (!indeg || !rs->order) {
        free(indeg);
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    for (size_t s = 0; s < n; s++)
        for (size_t p = 0; p < n; p++)
            indeg[s] += (uint32_t)bit(rs->steps[s].reads, rs->steps[p].code);
    size_t done = 0;
    for (int progress = 1; progress && done < n;) {
        progress = 0;
        for (size_t s = 0; s < n; s++) {
            if (indeg[s] != 0)
                continue;
            indeg[s] = UINT32_MAX; /* placed */
            rs->order[done++] = (uint32_t)s;
            progress = 1;
            for (size_t t = 0; t < n; t++)
                if (indeg[t] != UINT32_MAX && bit(rs->steps[t].reads, rs->steps[s].code))
                    indeg[t]--;
        }
    }
    int rc = 0;
    for (size_t s = 0; done < n && s < n; s++) {
        if (indeg[s] == UINT32_MAX)
            continue;
        const rstep *st = &rs->steps[s];
        const char *code = pupa_lexicon_code(r->lex, st->code);
        if (st->kind == STEP_RULE)
            rc = problem(r, st->file, st->line,
                         "rule '%s' of '%s' depends on its own result (a cycle of rules)",
                         st->expr, code);
        else
            rc = problem(r, st->file, st->line,
                         ".negated_as of '%s' depends on its own result (a cycle)", code);
        if (rc)
            break;
        if (!r->problem)
            break;
    }
    free(indeg);
    return rc;
}

/* Fills readers_off and readers (see the struct), once the order is
 * known. */
static int index_readers(pupa_ruleset *rs)
{
    size_t nc = rs->ncodes, total = 0;
    if (!(rs->readers_off = calloc(nc + 1, sizeof *rs->readers_off)))
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    for (int pass = 0; pass < 2; pass++) {
        total = 0;
        for (size_t c = 0; c < nc; c++) {
            rs->readers_off[c] = (uint32_t)total;
            for (size_t k = 0; k < rs->nsteps; k++)
                if (bit(rs->steps[rs->order[k]].reads, (uint32_t)c)) {
                    if (pass)
                        rs->readers[total] = (uint32_t)k;
                    total++;
                }
        }
        rs->readers_off[nc] = (uint32_t)total;
        if (!pass && !(rs->readers = calloc(total + 1, sizeof *rs->readers)))
            return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    return 0;
}

int pupa_ruleset_resolve(pupa_ruleset *rs, const pupa_lexicon *lex,
                         void (*cb)(void *ctx, const char *file, uint32_t line, const char *msg),
                         void *ctx)
{
    resolver r = {.rs = rs, .lex = lex, .problem = cb, .ctx = ctx};
    rs->active = 0;
    rs->ncodes = pupa_lexicon_ncodes(lex);
    rs->words = (rs->ncodes + 63) / 64 + 1;
    size_t nc = rs->ncodes + 1;
    int rc = 0;
    if (!(rs->hidden = calloc(nc, 1)) || !(rs->used = calloc(nc, 1)) ||
        !(rs->is_excl = calloc(nc, 1)))
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    int any_hidden = 0;
    for (size_t c = 0; !rc && c < rs->ncodes; c++)
        any_hidden |= rs->hidden[c] = (uint8_t)is_hidden_path(pupa_lexicon_code(lex, (uint32_t)c));
    for (size_t s = 0; !rc && s < rs->nsteps; s++)
        if (!(rs->steps[s].reads = calloc(rs->words, sizeof(uint64_t))))
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    if (!rc)
        rc = resolve_exclusions(&r);
    if (!rc)
        rc = resolve_refs(&r);
    for (size_t s = 0; !rc && s < rs->nsteps; s++)
        if (rs->steps[s].kind == STEP_NEGATED_AS)
            rc = resolve_negated_as(&r, &rs->steps[s]);
    if (!rc && !r.nproblems)
        rc = order_steps(&r);
    if (!rc && !r.nproblems)
        rc = index_readers(rs);
    for (int k = 0; !rc && k < 3; k++)
        rc = index_cues(&rs->cues[k]);
    if (rc || r.nproblems)
        return rc;
    rs->active = rs->nsteps || rs->nexcl || rs->has_negation || any_hidden;
    rs->needs_tokens = rs->has_negation;
    for (size_t i = 0; i < rs->nnodes; i++)
        rs->needs_tokens |= rs->nodes[i].op >= N_NEAR;
    return 0;
}

void pupa_ruleset_deactivate(pupa_ruleset *rs) { rs->active = 0; }

uint64_t pupa_ruleset_hash(const pupa_ruleset *rs, uint64_t h)
{
    h = pupa_hash(h, &rs->window, sizeof rs->window);
    for (int k = 0; k < 3; k++) { /* cues | not-cues | stops */
        if (k)
            h = pupa_hash(h, "|", 1);
        for (size_t i = 0; i < rs->cues[k].n; i++)
            h = pupa_hash(h, rs->cues[k].v[i].s, rs->cues[k].v[i].len + 1);
    }
    for (size_t i = 0; i < rs->nsteps; i++)
        if (rs->steps[i].kind == STEP_NEGATED_AS) {
            h = pupa_hash(h, rs->steps[i].source_path, strlen(rs->steps[i].source_path) + 1);
            h = pupa_hash(h, rs->steps[i].expr, strlen(rs->steps[i].expr) + 1);
        }
    for (size_t i = 0; i < rs->nexcl; i++) {
        h = pupa_hash(h, rs->excl[i].code_path, strlen(rs->excl[i].code_path) + 1);
        h = pupa_hash(h, rs->excl[i].excl_path, strlen(rs->excl[i].excl_path) + 1);
    }
    return h;
}

int pupa_ruleset_is_hidden(const pupa_ruleset *rs, uint32_t code)
{
    return rs && rs->hidden && code < rs->ncodes && rs->hidden[code];
}

int pupa_ruleset_is_used(const pupa_ruleset *rs, uint32_t code)
{
    return rs && rs->used && code < rs->ncodes && rs->used[code];
}

/* ---------------------------------------------------------- applying */

typedef struct actx {
    const pupa_ruleset *rs;
    const char *text;
    const pupa_tokens *ts;
    pupa_hit **hits;
    size_t *cap;
    size_t npool; /* hits[0, npool): the segment's hits so far */
    size_t top;   /* hits[npool, top): the evaluation stack */
    const uint64_t *present; /* the codes with a hit in the pool, or NULL */
} actx;

static int push(actx *ax, pupa_hit h)
{
    int rc = pupa_grow(ax->hits, ax->cap, ax->top + 1, sizeof **ax->hits);
    if (rc)
        return rc;
    (*ax->hits)[ax->top++] = h;
    return 0;
}

/* Moves the block [from, top) down to start at to. */
static void settle(actx *ax, size_t to, size_t from)
{
    size_t n = ax->top - from;
    if (from != to)
        memmove(*ax->hits + to, *ax->hits + from, n * sizeof **ax->hits);
    ax->top = to + n;
}

static int overlaps(const pupa_hit *a, const pupa_hit *b)
{
    return a->start < b->end && b->start < a->end;
}

/* A sentence end between two hits?  Only the gap between them is read. */
static int crosses_sentence(const actx *ax, const pupa_hit *a, const pupa_hit *b)
{
    const pupa_hit *x = a->start <= b->start ? a : b, *y = x == a ? b : a;
    if (y->start <= x->end)
        return 0;
    const unsigned char *p = (const unsigned char *)ax->text + x->end,
                        *e = (const unsigned char *)ax->text + y->start;
    for (; p < e; p++) {
        if (*p == '.' || *p == '!' || *p == '?')
            return 1;
        /* U+17D4 KHAN and U+17D5 BARIYOOSAN: E1 9F 94 / 95 */
        if (*p == 0xE1 && e - p >= 3 && p[1] == 0x9F && (p[2] == 0x94 || p[2] == 0x95))
            return 1;
    }
    return 0;
}

/* Tokens from a to b: 0 when they overlap, 1 when adjacent.  ordered: b
 * must come after a, else -1. */
static long distance(const pupa_hit *a, const pupa_hit *b, int ordered)
{
    if (b->tok_first > a->tok_last)
        return (long)b->tok_first - (long)a->tok_last;
    if (ordered)
        return -1;
    if (a->tok_first > b->tok_last)
        return (long)a->tok_first - (long)b->tok_last;
    return 0;
}

static int close_enough(const actx *ax, const rnode *n, const pupa_hit *a, const pupa_hit *b)
{
    int ordered = n->op == N_BEFORE || n->op == N_NOTBEFORE;
    long d = distance(a, b, ordered);
    return d >= 0 && d <= (long)n->dist && !crosses_sentence(ax, a, b);
}

static int eval(actx *ax, int32_t node);

static int eval_pair(actx *ax, const rnode *n, size_t a0)
{
    int rc = eval(ax, n->a);
    size_t b0 = ax->top;
    /* Every operator but OR keeps only hits of its left side: with none
     * there, the right side need not be read. */
    if (!rc && n->op != N_OR && b0 == a0)
        return 0;
    if (!rc)
        rc = eval(ax, n->b);
    size_t r0 = ax->top;
    if (rc)
        return rc;
    if (n->op == N_OR) {
        return 0; /* the two blocks are the result, already in place */
    }
    int present = 0;
    for (size_t j = b0; j < r0; j++)
        present |= !(*ax->hits)[j].negated;
    if (n->op == N_AND || n->op == N_ANDNOT) {
        ax->top = (n->op == N_AND) == present ? b0 : a0;
        return 0;
    }
    for (size_t i = a0; !rc && i < b0; i++) {
        int near_counted = 0;
        for (size_t j = b0; !rc && j < r0; j++) {
            const pupa_hit *a = &(*ax->hits)[i], *b = &(*ax->hits)[j];
            if (!close_enough(ax, n, a, b))
                continue;
            if (n->op == N_NOTNEAR || n->op == N_NOTBEFORE) {
                near_counted |= !b->negated;
                continue;
            }
            pupa_hit h = *a;
            if (b->start < h.start) h.start = b->start;
            if (b->end > h.end) h.end = b->end;
            if (b->tok_first < h.tok_first) h.tok_first = b->tok_first;
            if (b->tok_last > h.tok_last) h.tok_last = b->tok_last;
            h.negated = a->negated || b->negated;
            rc = push(ax, h);
        }
        if (!rc && (n->op == N_NOTNEAR || n->op == N_NOTBEFORE) && !near_counted)
            rc = push(ax, (*ax->hits)[i]);
    }
    if (!rc)
        settle(ax, a0, r0);
    return rc;
}

static int eval(actx *ax, int32_t node)
{
    const rnode *n = &ax->rs->nodes[node];
    size_t a0 = ax->top;
    if (n->op != N_REF)
        return eval_pair(ax, n, a0);
    const uint64_t *bits = ax->rs->refs[n->ref].bits;
    /* No code of the reference has a hit: nothing to collect, and no need
     * to read the pool to know it. */
    if (ax->present && !any_common(ax->present, bits, ax->rs->words))
        return 0;
    for (size_t i = 0; i < ax->npool; i++) {
        uint32_t c = (*ax->hits)[i].code;
        if (c != DEAD && bit(bits, c)) {
            int rc = push(ax, (*ax->hits)[i]);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int excluded(const actx *ax, const pupa_hit *h)
{
    const pupa_ruleset *rs = ax->rs;
    for (uint32_t k = rs->excl_off[h->code]; k < rs->excl_off[h->code + 1]; k++)
        for (size_t i = 0; i < ax->npool; i++) {
            const pupa_hit *x = &(*ax->hits)[i];
            if (x->code == rs->excl_list[k] && overlaps(x, h))
                return 1;
        }
    return 0;
}

/* Adds the block [from, top) to the pool as hits of code (entry, when not
 * DEAD), leaving out excluded ones. */
static void adopt(actx *ax, size_t from, uint32_t code, uint32_t entry)
{
    size_t end = ax->top;
    for (size_t i = from; i < end; i++) {
        pupa_hit h = (*ax->hits)[i];
        h.code = code;
        if (entry != DEAD)
            h.entry = entry;
        if (!excluded(ax, &h))
            (*ax->hits)[ax->npool++] = h;
    }
    ax->top = ax->npool;
}

/* Does the norm text at token t start with cue?  A Khmer cue may end
 * inside a token (ICU often keeps មិន with its verb) unless whole is set;
 * another must end where a token does. */
static int cue_at(const pupa_tokens *ts, size_t t, const rcue *cue, int whole)
{
    size_t at = ts->tok[t].norm_start, n = cue->len;
    if (ts->norm[at] != cue->s[0]) /* most cues differ at once: spare the rest */
        return 0;
    if (n > ts->norm_len - at || memcmp(ts->norm + at, cue->s, n) != 0)
        return 0;
    if (!whole && cue->khmer)
        return 1;
    for (size_t k = t; k < ts->ntok && ts->tok[k].norm_start < at + n; k++)
        if (ts->tok[k].norm_end == at + n)
            return 1;
    return 0;
}

/* Whether a cue of l starts at token t (cue_at), trying only the cues
 * that begin with the token's first byte: a window looks at three tokens
 * back from every hit, and a codebook has dozens of cues of each kind. */
static int any_cue_at(const cue_list *l, const pupa_tokens *ts, size_t t, int whole)
{
    unsigned char b = (unsigned char)ts->norm[ts->tok[t].norm_start];
    for (uint32_t i = l->first_off[b]; i < l->first_off[b + 1]; i++)
        if (cue_at(ts, t, &l->v[l->by_first[i]], whole))
            return 1;
    return 0;
}

static int is_cue(const pupa_ruleset *rs, const pupa_tokens *ts, size_t t)
{
    if (any_cue_at(&rs->cues[PUPA_NOT_CUE], ts, t, 0))
        return 0;
    const pupa_token *k = &ts->tok[t];
    if (pupa_is_negation_cue(ts->norm + k->norm_start, k->norm_end - k->norm_start))
        return 1;
    return any_cue_at(&rs->cues[PUPA_CUE], ts, t, 0);
}

/* Does token t end a negation's scope ("but", "because", ប៉ុន្តែ)?  Whole
 * words only: តែ (but) begins តែងតែ (always). */
static int is_stop(const pupa_ruleset *rs, const pupa_tokens *ts, size_t t)
{
    return any_cue_at(&rs->cues[PUPA_CUE_STOP], ts, t, 1);
}

/* The same window as match.c (back from the hit's first token, stopping at
 * punctuation), with the codebook's cues, not-cues, stops and window: "I
 * cannot sleep unless I drink" does not negate the drinking. */
static void remark_negation(const actx *ax)
{
    const pupa_ruleset *rs = ax->rs;
    const pupa_tokens *ts = ax->ts;
    for (size_t i = 0; i < ax->npool; i++) {
        pupa_hit *h = &(*ax->hits)[i];
        h->negated = 0;
        size_t t = h->tok_first;
        for (int back = 0; back < rs->window && t > 0 && t <= ts->ntok; back++) {
            if (pupa_punctuation_between(ts, t - 1) || is_stop(rs, ts, t - 1))
                break;
            t--;
            if (is_cue(rs, ts, t)) {
                h->negated = 1;
                break;
            }
        }
    }
}

/* pupa_match's overlap policy (longest leftmost within a code) and order
 * over hits[0, n), first dropping dead hits and hidden codes' hits.
 * Returns the hits kept. */
static size_t settle_hits(const pupa_ruleset *rs, pupa_hit *h, size_t nh)
{
    size_t n = 0;
    for (size_t i = 0; i < nh; i++)
        if (h[i].code != DEAD && !rs->hidden[h[i].code])
            h[n++] = h[i];
    return pupa_hits_settle(h, n);
}

/* The first token ending after byte b (hits start and end on tokens). */
static uint32_t token_at(const pupa_tokens *ts, uint32_t b)
{
    size_t lo = 0, hi = ts->ntok;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ts->tok[mid].src_end <= b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)(lo < ts->ntok ? lo : ts->ntok - 1);
}

/* The whole segment's token stream, for hits found by the fast path. */
static int whole_tokens(pupa_tokenizer *tok, const char *text, size_t len, pupa_tokens *ts,
                        pupa_hit *h, size_t n)
{
    if (!tok)
        return pupa_fail(PUPA_EINVAL, "pupa_rules_apply: no tokenizer for the fast path");
    int rc = pupa_tokenize(tok, text, len, ts);
    if (rc || ts->ntok == 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        h[i].tok_first = token_at(ts, h[i].start);
        h[i].tok_last = token_at(ts, h[i].end ? h[i].end - 1 : 0);
    }
    return 0;
}

/* Runs one step over the pool: a rule, or a .negated_as. */
static int run_step(actx *ax, const rstep *s)
{
    int rc = 0;
    if (s->kind == STEP_RULE) {
        if (!(rc = eval(ax, s->root)))
            adopt(ax, ax->npool, s->code, s->entry);
        return rc;
    }
    size_t n = ax->npool;
    for (size_t i = 0; !rc && i < n; i++) {
        pupa_hit h = (*ax->hits)[i];
        if (h.code == s->source && h.negated) {
            h.negated = 0;
            rc = push(ax, h);
        }
    }
    if (!rc)
        adopt(ax, ax->npool, s->code, DEAD);
    return rc;
}

/* Code c has a hit now: the steps from place `from` on that read it are to
 * run (the order puts every reader of a code after the steps making it). */
static void note_present(const pupa_ruleset *rs, uint64_t *present, uint64_t *todo, uint32_t c,
                         size_t from)
{
    if (c >= rs->ncodes || bit(present, c))
        return;
    set_bit(present, c);
    for (uint32_t i = rs->readers_off[c]; i < rs->readers_off[c + 1]; i++)
        if (rs->readers[i] >= from)
            set_bit(todo, rs->readers[i]);
}

int pupa_rules_apply(const pupa_lexicon *lex, pupa_tokenizer *tok, const char *text, size_t len,
                     pupa_tokens *ts, int ts_whole, pupa_hit **hits, size_t *nhits,
                     size_t *cap)
{
    const pupa_ruleset *rs = lex ? pupa_lexicon_rules(lex) : NULL;
    if (!rs || !rs->active || !hits || !nhits || *nhits == 0)
        return 0;
    if (!text || !ts || !cap)
        return pupa_fail(PUPA_EINVAL, "pupa_rules_apply: NULL argument");
    if (rs->needs_tokens && !ts_whole) {
        int rc = whole_tokens(tok, text, len, ts, *hits, *nhits);
        if (rc)
            return rc;
    }
    actx ax = {.rs = rs, .text = text, .ts = ts, .hits = hits, .cap = cap,
               .npool = *nhits, .top = *nhits};
    if (rs->has_negation)
        remark_negation(&ax);
    /* Exclusions first, so an excluded term feeds no rule. */
    for (size_t i = 0; i < ax.npool; i++) {
        pupa_hit *h = &(*hits)[i];
        if (h->code < rs->ncodes && excluded(&ax, h))
            h->code = DEAD;
    }
    /* A step runs only when a code it reads has a hit: a rule needs one.
     * The steps to run are found from the codes, through each code's
     * readers, as codes come into the pool (a codebook has a hundred
     * rules, a segment's hits a few codes), and run in their order.  For
     * a codebook of more than 64 x 64 codes or steps, every step runs. */
    uint64_t present[64] = {0}, todo[64] = {0};
    int track = rs->words <= 64 && rs->nsteps <= 64 * 64;
    int rc = 0;
    if (!track) {
        for (size_t k = 0; !rc && k < rs->nsteps; k++)
            rc = run_step(&ax, &rs->steps[rs->order[k]]);
    } else {
        ax.present = present;
        for (size_t i = 0; i < ax.npool; i++)
            note_present(rs, present, todo, (*hits)[i].code, 0);
        for (size_t w = 0; !rc && w < (rs->nsteps + 63) / 64; w++)
            while (!rc && todo[w]) {
                size_t k = w * 64 + (size_t)__builtin_ctzll(todo[w]);
                todo[w] &= todo[w] - 1;
                const rstep *s = &rs->steps[rs->order[k]];
                size_t before = ax.npool;
                rc = run_step(&ax, s);
                if (ax.npool > before)
                    note_present(rs, present, todo, s->code, k + 1);
            }
    }
    if (rc)
        return rc;
    *nhits = settle_hits(rs, *hits, ax.npool);
    return 0;
}

int pupa_lexicon_code_hidden(const pupa_lexicon *lex, uint32_t code)
{
    return lex && pupa_ruleset_is_hidden(pupa_lexicon_rules(lex), code);
}

int pupa_ruleset_needs_tokens(const pupa_ruleset *rs)
{
    return rs && rs->active && rs->needs_tokens;
}

int pupa_ruleset_remarks_negation(const pupa_ruleset *rs)
{
    return rs && rs->active && rs->has_negation;
}
