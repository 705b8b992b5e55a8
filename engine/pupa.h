/*
 * pupa.h: the one public header of the pupa text-mining engine.
 *
 * pupa pre-codes interview transcripts against theme lexicons:
 *   read (reader.c) -> tokenise with ICU (tokenise.c, khmer.c)
 *   -> match with Hyperscan (lexicon.c, match.c) -> index in LMDB (index.c)
 *   -> answer queries (query.c).
 *
 * Conventions (after LMDB and libgit2):
 *  - Every call that can fail returns 0 or a negative PUPA_E* code.
 *    pupa_strerror() names the code; pupa_errmsg() gives the one-line message of
 *    the last failure on this thread (file, line and byte where there are any).
 *  - Stateful objects are opaque handles with new/free pairs.  Plain result
 *    structs (pupa_doc, pupa_tokens, pupa_hit, ...) are read-only views whose
 *    lifetime is stated next to the call that returns them.
 *  - The engine never prints; the caller decides what the user sees.
 *  - A handle is used by one thread at a time, except pupa_lexicon, which is
 *    read-only after loading and shared by all threads.
 */
#ifndef PUPA_H
#define PUPA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

enum {
    PUPA_OK = 0,
    PUPA_ENOMEM = -1,    /* out of memory */
    PUPA_EIO = -2,       /* a file could not be read or written */
    PUPA_EUTF8 = -3,     /* invalid UTF-8 in input */
    PUPA_EFORMAT = -4,   /* malformed transcript, manifest or JSON line */
    PUPA_ELEXICON = -5,  /* malformed lexicon or bad entry */
    PUPA_EICU = -6,      /* ICU reported an error */
    PUPA_EHS = -7,       /* Hyperscan reported an error */
    PUPA_ELMDB = -8,     /* LMDB reported an error */
    PUPA_ECORRUPT = -9,  /* the index on disk is damaged or of another version */
    PUPA_EINVAL = -10,   /* bad argument */
    PUPA_ETOOBIG = -11,  /* input over a size cap */
    PUPA_ENOTFOUND = -12 /* no such file, index or key */
};

/* A static string naming the error code. */
const char *pupa_strerror(int err);
/* The message of the last failure on the calling thread; "" if none.  Valid
 * until the next failing pupa call on the same thread. */
const char *pupa_errmsg(void);

/* Hard caps that protect the machine from hostile input (bytes). */
#define PUPA_MAX_FILE_BYTES (256u * 1024u * 1024u)
#define PUPA_MAX_SEGMENT_BYTES (16u * 1024u * 1024u)

/* ------------------------------------------------------------- languages */

enum { PUPA_LANG_EN = 0, PUPA_LANG_KM = 1, PUPA_LANG_MIXED = 2 };
/* "en", "km" or "mixed". */
const char *pupa_lang_name(int lang);
/* Language of a UTF-8 text from its script: Khmer letters only -> km,
 * Latin letters only (or no letters at all) -> en, both -> mixed. */
int pupa_lang_detect(const char *text, size_t len);

/* --------------------------------------------------------------- reading */

typedef struct pupa_kv {
    const char *key;
    const char *value;
} pupa_kv;

enum {
    PUPA_ROLE_PARTICIPANT = 0, /* a participant turn: a coded segment */
    PUPA_ROLE_INTERVIEWER = 1, /* an interviewer turn: context only */
    PUPA_ROLE_PARAGRAPH = 2    /* a paragraph of an unlabelled file: coded */
};

/* One turn (or paragraph) of a document. */
typedef struct pupa_segment {
    uint32_t number;      /* 1-based among coded turns; 0 if not coded */
    int role;             /* PUPA_ROLE_* */
    int lang;             /* PUPA_LANG_* */
    const char *speaker;  /* the label as written ("P"), or NULL */
    const char *text;     /* the turn's text, label removed, trimmed; */
    size_t len;           /*   points into pupa_doc.text, not NUL-terminated */
    uint64_t start, end;  /* byte span of text in the original file */
} pupa_segment;

/* One interview.  A .txt file holds one; a .jsonl file one per line. */
typedef struct pupa_doc {
    const char *id;          /* relative path, or "path#LINE" for JSON Lines */
    const char *participant; /* required */
    int year;                /* required */
    const pupa_kv *meta;     /* every metadata key, header over manifest */
    size_t nmeta;
    const pupa_segment *segs; /* every turn, in file order */
    size_t nsegs;
    const char *text;        /* the body that segments point into */
    size_t text_len;
    /* Maps an offset in text to an offset in the file.  NULL means
     * file offset = text_base + text offset (plain .txt files). */
    const uint64_t *offset_map; /* text_len + 1 entries when set */
    uint64_t text_base;
} pupa_doc;

/* Which labels start participant and interviewer turns.  Comma-separated,
 * matched case-insensitively; NULL means the contract's defaults. */
typedef struct pupa_read_opts {
    const char *participant_labels; /* default "P,R,Participant,Respondent,Interviewee" */
    const char *interviewer_labels; /* default "I,Q,Interviewer" */
    int code_interviewer;           /* non-zero: interviewer turns are coded too */
} pupa_read_opts;

/* A corpus manifest (manifest.csv): metadata per relative path. */
typedef struct pupa_manifest pupa_manifest;
/* Loads path (a manifest.csv).  PUPA_ENOTFOUND if it does not exist. */
int pupa_manifest_load(pupa_manifest **out, const char *path);
/* The manifest's row for a relative path, or NULL.  Valid while m lives. */
const pupa_kv *pupa_manifest_row(const pupa_manifest *m, const char *relpath, size_t *nkv);
void pupa_manifest_free(pupa_manifest *m);

/* A read file: owns its bytes and its documents. */
typedef struct pupa_file pupa_file;
/* Reads and splits one transcript file.  relpath names it in ids and
 * messages; manifest may be NULL; opts may be NULL.  Errors (invalid UTF-8,
 * missing participant or year, unterminated header, over the size cap) fail
 * the whole file with a message "relpath:LINE: byte N: what". */
int pupa_file_read(pupa_file **out, const char *path, const char *relpath,
                   const pupa_manifest *manifest, const pupa_read_opts *opts);
size_t pupa_file_ndocs(const pupa_file *f);
/* Valid while f lives. */
const pupa_doc *pupa_file_doc(const pupa_file *f, size_t i);
void pupa_file_free(pupa_file *f);

/* File offset of an offset into doc->text. */
uint64_t pupa_doc_file_offset(const pupa_doc *doc, size_t text_offset);
/* Metadata value for key, or NULL. */
const char *pupa_doc_meta(const pupa_doc *doc, const char *key);

/* Lists the transcript files (*.txt, *.jsonl, not manifest.csv) under root,
 * recursively, as relative paths in byte order.  Free with pupa_paths_free. */
int pupa_corpus_list(const char *root, char ***paths, size_t *npaths);
void pupa_paths_free(char **paths, size_t npaths);

/* ------------------------------------------------------------ tokenising */

enum { PUPA_SCRIPT_OTHER = 0, PUPA_SCRIPT_KHMER = 1 };

/* One word-like ICU token.  src_* index the text given to pupa_tokenize;
 * norm_* index pupa_tokens.norm. */
typedef struct pupa_token {
    uint32_t src_start, src_end;
    uint32_t norm_start, norm_end;
    uint8_t script; /* PUPA_SCRIPT_* of the token's first letter */
} pupa_token;

/* The normalised token stream of one text.  norm holds every token folded
 * (NFKC case fold, then the Khmer variant folds), joined by a separator:
 *   ""   between two Khmer tokens with only white space between them,
 *        so a Khmer entry matches however ICU splits it;
 *   " "  between other tokens with only white space between them;
 *   "\n" between tokens with anything else (punctuation) between them.
 * norm is NUL-terminated. */
typedef struct pupa_tokens {
    const char *norm;
    size_t norm_len;
    const pupa_token *tok;
    size_t ntok;
} pupa_tokens;

typedef struct pupa_tokenizer pupa_tokenizer;
int pupa_tokenizer_new(pupa_tokenizer **out);
/* Tokenises text (UTF-8, at most PUPA_MAX_SEGMENT_BYTES).  The result is
 * owned by t and valid until its next pupa_tokenize or free. */
int pupa_tokenize(pupa_tokenizer *t, const char *text, size_t len, pupa_tokens *out);
void pupa_tokenizer_free(pupa_tokenizer *t);

/* Khmer variant fold of one UTF-8 string (already NFKC case folded):
 * coeng-da -> coeng-ta, QOO TYPE TWO -> QOO TYPE ONE, and dependent vowels
 * and signs put after the coeng sequences of their cluster.  Writes at most
 * len bytes to out (the fold never grows a string) and returns the length. */
size_t pupa_khmer_fold(const char *in, size_t len, char *out);

/* --------------------------------------------------------------- lexicon */

enum {
    PUPA_ENTRY_WORD = 0,   /* tokens equal to the entry */
    PUPA_ENTRY_PREFIX = 1, /* word*: a token starting with the entry */
    PUPA_ENTRY_REGEX = 2,  /* /re/: over the normalised stream */
    PUPA_ENTRY_RULE = 3    /* a .rule: pattern is its expression; never scanned */
};

typedef struct pupa_entry {
    uint32_t code;        /* index into the lexicon's codes */
    int kind;             /* PUPA_ENTRY_* */
    const char *pattern;  /* as written in the lexicon */
    const char *norm;     /* normalised form matched against pupa_tokens.norm */
    const char *file;     /* lexicon file */
    uint32_t line;        /* 1-based line in file */
    /* The pattern's words are joined by hyphens ("well-being"): a hit's
     * words must be too, not by other punctuation ("well. Being"). */
    int hyphen_gaps;
} pupa_entry;

typedef struct pupa_lexicon pupa_lexicon;
/* Loads a YAML lexicon (quanteda dictionary: nested mappings whose leaves
 * are lists of patterns) and compiles every entry into one Hyperscan
 * database.  A bad entry fails with "file:line: entry 'x': why". */
int pupa_lexicon_load(pupa_lexicon **out, const char *path);
size_t pupa_lexicon_ncodes(const pupa_lexicon *lex);
const char *pupa_lexicon_code(const pupa_lexicon *lex, uint32_t code);
size_t pupa_lexicon_nentries(const pupa_lexicon *lex);
const pupa_entry *pupa_lexicon_entry(const pupa_lexicon *lex, uint32_t entry);
/* 64-bit hash of the lexicon's contents (codes and entries). */
uint64_t pupa_lexicon_hash(const pupa_lexicon *lex);
void pupa_lexicon_free(pupa_lexicon *lex);

/* -------------------------------------------------------------- matching */

/* One coded span.  start/end index the text given to pupa_match; tokens
 * [tok_first, tok_last] are the ones it covers. */
typedef struct pupa_hit {
    uint32_t code;
    uint32_t entry;
    uint32_t start, end;
    uint32_t tok_first, tok_last;
    int negated; /* a negation cue stands within PUPA_NEGATION_WINDOW tokens before */
} pupa_hit;

#define PUPA_NEGATION_WINDOW 3

/* Per-thread matching state: a tokenizer, Hyperscan scratch and buffers. */
typedef struct pupa_matcher pupa_matcher;
int pupa_matcher_new(pupa_matcher **out, const pupa_lexicon *lex);
/* Tokenises and matches one segment's text.  Hits are ordered by start,
 * then end, then code, then entry; a code is never counted twice for
 * overlapping spans (longest leftmost wins).  The hits and the tokens stay
 * valid until the next call on m. */
int pupa_match(pupa_matcher *m, const char *text, size_t len,
               const pupa_hit **hits, size_t *nhits, pupa_tokens *tokens);
void pupa_matcher_free(pupa_matcher *m);

/* How pupa_match finds hits.  Both modes give the same hits (tested on
 * every shared corpus); they differ in cost and in what else they return.
 *  PUPA_MATCH_TOKENISE_ALL: ICU tokenises the whole segment, then Hyperscan
 *    scans the token stream.  The reference; word counts need it.
 *  PUPA_MATCH_FAST: Hyperscan scans the raw segment first; ICU runs only on
 *    the white-space-delimited stretch around each candidate.  Segments
 *    with no candidate never reach ICU.  The tokens returned are those of
 *    the last pass only, and each hit's tok_first/tok_last index the pass
 *    that confirmed it: in this mode, use start and end. */
enum { PUPA_MATCH_TOKENISE_ALL = 0, PUPA_MATCH_FAST = 1, PUPA_MATCH_FAST_ONLY = 2 };
/* PUPA_MATCH_FAST tokenises a segment whole when its candidates' stretches
 * cover most of it, or when the codebook's rules need the whole token
 * stream anyway: cheaper, same hits.  PUPA_MATCH_FAST_ONLY never does, so
 * tests can hold the stretch machinery itself to the reference. */
/* A new matcher starts in PUPA_MATCH_TOKENISE_ALL. */
int pupa_matcher_set_mode(pupa_matcher *m, int mode);

/* What a matcher has done since it was made: for benchmarks and tests. */
typedef struct pupa_match_stats {
    uint64_t segments;      /* pupa_match calls */
    uint64_t fast_segments; /* served by the fast path */
    uint64_t candidates;    /* fast-path candidates from Hyperscan */
    uint64_t icu_calls;     /* ICU passes (whole segments or stretches) */
    uint64_t icu_bytes;     /* bytes those passes read */
} pupa_match_stats;
void pupa_matcher_stats(const pupa_matcher *m, pupa_match_stats *out);

/* The negation cues, as normalised tokens, for tests and docs. */
int pupa_is_negation_cue(const char *norm_token, size_t len);

/* ----------------------------------------------------------------- index */

typedef struct pupa_build_opts {
    const char *lexicon; /* lexicon path; NULL means lexicons/butterfly.yml
                            resolved by the caller */
    int threads;         /* 0: OpenMP default */
    int tokenise_all;    /* non-zero: PUPA_MATCH_TOKENISE_ALL, else FAST */
    /* nshards > 1: index only the corpus files of shard number shard
     * (0-based), as pupa_shard_of() assigns them; pupa_index_merge joins
     * the shards.  0 or 1: the whole corpus. */
    uint32_t shard, nshards;
    pupa_read_opts read;
    /* Called, on the calling thread, once per file that failed to read. */
    void (*on_file_error)(void *ctx, const char *relpath, const char *message);
    /* Called after each batch with files done and total. */
    void (*on_progress)(void *ctx, size_t done, size_t total);
    void *ctx;
} pupa_build_opts;

typedef struct pupa_build_stats {
    size_t files_seen, files_added, files_changed, files_removed,
        files_unchanged, files_failed;
    size_t docs, segments, hits;
} pupa_build_stats;

/* Builds or updates the index directory index_dir from the corpus root. */
int pupa_index_build(const char *corpus, const char *index_dir,
                     const pupa_build_opts *opts, pupa_build_stats *stats);

typedef struct pupa_index pupa_index;
/* Opens an index read-only. */
int pupa_index_open(pupa_index **out, const char *index_dir);
void pupa_index_close(pupa_index *ix);
/* Every index carries a seal: data.mdb's size and checksum, verified by
 * pupa_index_open before LMDB reads a page, since LMDB itself can crash on
 * a damaged file.  pupa_index_build seals what it writes.  Call this only
 * to accept a data.mdb changed by other means (a restore, a test): a
 * damaged file sealed this way is then read, and only pupa's own record
 * checks stand between it and LMDB. */
int pupa_index_seal(const char *index_dir);

/* The shard (0-based, below nshards) of a corpus file: a hash of its
 * relative path, so a file keeps its shard when others are added or
 * removed.  Stable across machines and versions (docs/scaling.md). */
uint32_t pupa_shard_of(const char *relpath, uint32_t nshards);
/* Joins shard indexes (built with nshards > 1, or any indexes of disjoint
 * files) into a new index at out_dir, which must not hold one yet.  Every
 * shard must come from the same lexicon (its hash, codes and entries).
 * Documents get ids in corpus path order, as a single build gives them,
 * so every query answers as it would on one build of the whole corpus.
 * Shards are opened through the seal and decoded with bounds checks;
 * postings and participants are derived again from the records.  Shards
 * of one --shard split must all be given, unless flags has
 * PUPA_MERGE_PARTIAL: the result then records which it holds, so merging
 * such partial merges is checked in turn.  stats: files_seen and
 * files_added count the files; docs, segments (coded) and hits are counted
 * as pupa_index_build counts them.  A failed merge leaves nothing behind. */
enum { PUPA_MERGE_PARTIAL = 1 };
int pupa_index_merge(const char *const *shard_dirs, size_t nshards, const char *out_dir,
                     int flags, pupa_build_stats *stats);

/* --------------------------------------------------------------- queries */

/* A filter over segments and hits.  NULL / 0 fields do not filter.
 *
 * Code patterns (here and in every query that takes a code): components
 * separated by "/", matched against a code's leading components, so
 * "violence" covers "violence/physical" but not "violent".  A component
 * "*" stands for any one component and "a,b" for either of a and b:
 * "relationships/mother,father/negative". */
typedef struct pupa_filter {
    const char *code;        /* code pattern */
    int year_min, year_max;  /* 0: open */
    const char *participant;
    const char *group;
    const char *gender;
    int age_min, age_max;    /* 0: open */
    int lang;                /* -1: any */
    const char *speaker;
    int negated;             /* 0: only non-negated hits; 1: negated too */
    size_t limit;            /* 0: no limit */
    /* Metadata equalities: a document passes when, for every key given,
     * its value equals one of the values given for that key (so the same
     * key twice means either).  "year" and "participant" compare the
     * document's own; a document without the key does not pass. */
    const pupa_kv *where;
    size_t nwhere;
    uint32_t context;        /* pupa_quotes: turns of context each side */
} pupa_filter;
void pupa_filter_init(pupa_filter *f);

/* One turn shown around a quote.  Strings are valid during the callback. */
typedef struct pupa_turn {
    uint32_t turn;           /* 0-based among all turns of the document */
    uint32_t segment;        /* 1-based among coded turns; 0 if not coded */
    int role;                /* PUPA_ROLE_* */
    const char *speaker;     /* NULL for a paragraph */
    const char *text; size_t text_len;
} pupa_turn;

/* One hit with everything needed to quote it.  Strings are valid during
 * the callback only. */
typedef struct pupa_quote {
    const char *doc, *participant, *group, *gender, *age;
    int year;
    uint32_t segment;
    const char *speaker;
    int lang;
    const char *text; size_t text_len; /* the segment's text */
    uint64_t seg_start, seg_end;       /* the segment's span in the file */
    const char *code, *entry;          /* code path; entry as "file:line" */
    uint32_t hit_start, hit_end;       /* the hit within text */
    uint64_t start, end;               /* the hit's span in the file */
    int negated;
    uint32_t turn;                     /* the segment's 0-based turn */
    /* With f->context: up to that many turns before and after the
     * segment, interviewer turns included, in document order. */
    const pupa_turn *before; size_t nbefore;
    const pupa_turn *after; size_t nafter;
} pupa_quote;

/* Calls cb for every hit that passes f, ordered by participant, year, doc,
 * segment, start, code.  cb returns non-zero to stop. */
int pupa_quotes(pupa_index *ix, const pupa_filter *f,
                int (*cb)(void *ctx, const pupa_quote *q), void *ctx);

/* A table: rows are codes cut to a depth, columns the values of a metadata
 * key ("group", "year", "gender", ...).  A cell counts individuals
 * (distinct participants) and comments (distinct segments) with at least
 * one counted hit under the row's code. */
typedef struct pupa_cell {
    uint32_t individuals, comments;
} pupa_cell;
typedef struct pupa_table {
    char **rows; size_t nrows;
    char **cols; size_t ncols; /* each column's values joined by " / " */
    pupa_cell *cells;     /* nrows * ncols, row-major */
    pupa_cell *row_total; /* nrows: over all columns */
    /* Column dimensions (pupa_table_query): names, and each column's value
     * of each dimension at col_values[c * ndims + d]. */
    char **dims; size_t ndims;
    char **col_values;
    pupa_cell *col_total; /* ncols: over all rows */
    pupa_cell total;      /* over all rows and columns */
} pupa_table;
/* One column per value of column_key: pupa_table_query with one
 * metadata dimension. */
int pupa_table_build(pupa_index *ix, int depth, const char *column_key,
                     const pupa_filter *f, pupa_table **out);
void pupa_table_free(pupa_table *t);

/* What a column dimension takes its values from. */
enum {
    PUPA_DIM_META = 0, /* a metadata key; "year" and "participant" are the document's own */
    PUPA_DIM_CODE = 1  /* one component of the hit's code path: polarity, direction */
};
typedef struct pupa_dim {
    int kind;         /* PUPA_DIM_* */
    const char *name; /* META: the key; CODE: the dimension's label */
    int level;        /* CODE: which path component, 1-based */
} pupa_dim;
typedef struct pupa_table_spec {
    int depth;            /* rows: codes cut to this many components, >= 1 */
    const pupa_dim *dims; /* columns: every combination seen, outermost first */
    size_t ndims;         /* 0: one column, "all" */
} pupa_table_spec;
/* A table whose columns cross any number of dimensions, e.g. setting x
 * polarity: relationships/mother/positive at depth 2 is row
 * relationships/mother, and its third component the polarity column.
 * Values missing from a document or code read "(none)". */
int pupa_table_query(pupa_index *ix, const pupa_table_spec *spec, const pupa_filter *f,
                     pupa_table **out);

/* The units co-occurrence and streaks count. */
enum {
    PUPA_UNIT_SEGMENT = 0,         /* one participant turn: a comment */
    PUPA_UNIT_PARTICIPANT_YEAR = 1 /* every document of one participant in one year */
};
/* A count of units and of the distinct participants they belong to. */
typedef struct pupa_count {
    uint32_t units, individuals;
} pupa_count;

/* A term is what a unit "has", in co-occurrence and streaks: a code
 * pattern (see pupa_filter), true when the unit has a counted hit of a
 * code it matches; or "only:PATTERN", true when the unit has such a hit
 * and no hit of a sibling: a code that matches PATTERN with its last
 * component made "*" but does not match PATTERN.  So with PATTERN the
 * negative relationships (relationships, any relation, negative),
 * "only:" asks for a negative relationship and no other polarity. */

/* Codes at a depth against each other.  cells[i * ncodes + j]: units with
 * both codes i and j (i == j: units with code i), and their individuals. */
typedef struct pupa_cooccur {
    int unit;
    char **codes; size_t ncodes;
    pupa_count *cells;
} pupa_cooccur;
/* Codes f->code matches, cut to depth, from their postings only. */
int pupa_cooccur_build(pupa_index *ix, int unit, int depth, const pupa_filter *f,
                       pupa_cooccur **out);
void pupa_cooccur_free(pupa_cooccur *c);

/* The cross-reference of two terms over units. */
typedef struct pupa_crossref {
    pupa_count a, b;      /* units where the term holds */
    pupa_count both, a_not_b, b_not_a;
    /* PUPA_UNIT_PARTICIPANT_YEAR only: the participant-years the filter
     * admits, whether or not they have either term, and those with neither.
     * Zero for segments (counting them would read every turn). */
    pupa_count scope, neither;
} pupa_crossref;
/* f->code is not used: the terms name the codes. */
int pupa_crossref_build(pupa_index *ix, int unit, const char *term_a, const char *term_b,
                        const pupa_filter *f, pupa_crossref *out);

/* Participants with a term in at least min_years consecutive years. */
typedef struct pupa_streak {
    char *participant;
    int first, last;  /* the longest run, the earliest of equals */
    uint32_t length;  /* years (or interviews) in it */
    int *years;       /* every year the term holds */
    size_t nyears;
    char **groups;    /* by_key values of the years in runs of min_years or more */
    size_t ngroups;
} pupa_streak;
typedef struct pupa_streaks {
    pupa_streak *items; size_t n; /* by participant */
    /* Per value of by_key: participants with the term in any year, and
     * those in a run; a participant counts under each value she had in
     * those years and once in the totals. */
    char **values; size_t nvalues;
    pupa_count *per_value; /* units: with the term; individuals: with a run */
    uint32_t with_term, with_run;
} pupa_streaks;
typedef struct pupa_streak_opts {
    const char *term;
    int min_years;    /* >= 1 */
    /* 0: a run is calendar years y, y+1, ...: a year without an interview
     * breaks it.  1: a run is consecutive interviews of the participant
     * (within the filter): a year without an interview is skipped. */
    int interviews;
    const char *by;   /* the key counts are given by; NULL: "group" */
} pupa_streak_opts;
int pupa_streaks_find(pupa_index *ix, const pupa_streak_opts *o, const pupa_filter *f,
                      pupa_streaks **out);
void pupa_streaks_free(pupa_streaks *s);

/* One participant's codes year by year. */
typedef struct pupa_timeline_cell {
    uint32_t comments;  /* segments with a counted hit under the row */
    /* The first such hit in output order, when quotes were asked for;
     * doc NULL otherwise or when comments is 0. */
    char *doc, *code, *entry, *text;
    size_t text_len;
    uint32_t segment, hit_start, hit_end;
    int negated;        /* the quoted hit is negated (only with f->negated) */
} pupa_timeline_cell;
typedef struct pupa_timeline_year {
    int year;
    char *group, *age; /* from the first document of the year; may be NULL */
} pupa_timeline_year;
typedef struct pupa_timeline {
    pupa_timeline_year *years; size_t nyears; /* every interview year the filter admits */
    char **rows; size_t nrows;                /* codes cut to depth */
    pupa_timeline_cell *cells;                /* nrows * nyears */
} pupa_timeline;
/* Reads only the participant's own keys; f->participant is ignored. */
int pupa_timeline_build(pupa_index *ix, const char *participant, int depth, int quotes,
                        const pupa_filter *f, pupa_timeline **out);
void pupa_timeline_free(pupa_timeline *t);

/* ------------------------------------------------------ codebook tools */

/* Rules, exclusions and negation settings are part of the YAML codebook
 * (docs/lexicon.md) and act inside pupa_match.  A code whose path has a
 * component starting with "." is hidden: a term list that rules and
 * exclusions read, whose own hits pupa_match never returns. */
int pupa_lexicon_code_hidden(const pupa_lexicon *lex, uint32_t code);

/* pupa lexicon check (lint.c). */
enum { PUPA_LINT_INFO = 0, PUPA_LINT_WARNING = 1, PUPA_LINT_ERROR = 2 };
typedef struct pupa_lint_issue {
    int severity;        /* PUPA_LINT_* */
    const char *file;    /* NULL when the issue has no place */
    uint32_t line;
    const char *code;    /* the code concerned, or NULL */
    const char *entry;   /* the entry's pattern, or NULL */
    const char *message;
    uint64_t count;      /* PUPA_LINT_INFO: the entry's hits in the corpus */
} pupa_lint_issue;
typedef struct pupa_lint_opts {
    /* Files or folders whose text (every .txt, .tsv and .jsonl line, one
     * segment a line) entries are counted in; none: no corpus checks. */
    const char *const *corpus;
    size_t ncorpus;
    int counts; /* also report every entry's count as PUPA_LINT_INFO */
    /* Called once per issue; the strings are valid during the call. */
    void (*on_issue)(void *ctx, const pupa_lint_issue *issue);
    void *ctx;
} pupa_lint_opts;
/* Checks the lexicon at path: load errors, rules with unknown codes or
 * cycles, duplicate and shadowed entries, Khmer entries that are not
 * normalised or hold invalid characters, unused hidden codes, and entries
 * never found in the corpus.  Returns 0 when the check ran, whatever it
 * found (*nerrors, *nwarnings count it), or an error when it could not run
 * (an unreadable corpus). */
int pupa_lexicon_check(const char *path, const pupa_lint_opts *opts, size_t *nerrors,
                       size_t *nwarnings);

/* pupa lexicon import (liwc.c): a LIWC .dic file (category legend between
 * "%" lines, then "term<TAB>ids", "*" ending a prefix; spaces may stand for
 * tabs) as a YAML codebook, one code per category.  *yaml is malloc'd and
 * NUL-terminated; the caller frees it.  Lines that cannot be imported are
 * skipped and reported to warn (may be NULL). */
typedef struct pupa_liwc_stats {
    size_t categories, terms, skipped;
} pupa_liwc_stats;
int pupa_liwc_to_yaml(const char *dic_path, char **yaml, size_t *len,
                      void (*warn)(void *ctx, uint32_t line, const char *msg), void *ctx,
                      pupa_liwc_stats *stats);

/* pupa eval (eval.c): agreement of the codebook with human codes.
 * The gold file is CSV with a header naming its columns: doc (a transcript
 * path relative to root), then segment (1-based, as pupa numbers coded
 * turns) or start,end (a byte span in the file, attributed to the segment
 * holding its start), then code.  Every coded segment of every document
 * named is a unit; a unit has a code at the chosen depth when a human, or
 * a counted (not negated) hit, gives it one. */
typedef struct pupa_eval_opts {
    int depth;          /* codes cut to this many path components; 0: whole */
    const char *root;   /* NULL: the gold file's folder */
    int lang;           /* PUPA_LANG_*: only segments in that language; -1: all */
    pupa_read_opts read;
} pupa_eval_opts;
typedef struct pupa_eval_score {
    const char *code;   /* "micro" / "macro" for the overall rows */
    uint32_t tp, fp, fn, tn;
    /* NAN when undefined (no positives on that side; kappa with chance
     * agreement 1).  Macro averages the codes humans used, an undefined
     * precision counting as 0. */
    double precision, recall, f1, kappa;
} pupa_eval_score;
typedef struct pupa_eval_miss {
    const char *doc;
    uint32_t segment;
    const char *code;
    int human;          /* 1: humans coded it and pupa did not; 0: the reverse */
    const char *text;   /* the segment's text */
    size_t text_len;
} pupa_eval_miss;
typedef struct pupa_eval pupa_eval;
int pupa_eval_run(pupa_eval **out, const pupa_lexicon *lex, const char *gold_csv,
                  const pupa_eval_opts *opts);
size_t pupa_eval_nunits(const pupa_eval *ev);
/* Codes in byte order of their names; valid while ev lives. */
size_t pupa_eval_ncodes(const pupa_eval *ev);
const pupa_eval_score *pupa_eval_code(const pupa_eval *ev, size_t i);
const pupa_eval_score *pupa_eval_micro(const pupa_eval *ev);
const pupa_eval_score *pupa_eval_macro(const pupa_eval *ev);
/* Disagreements, by document, segment and code. */
size_t pupa_eval_nmisses(const pupa_eval *ev);
const pupa_eval_miss *pupa_eval_miss_at(const pupa_eval *ev, size_t i);
void pupa_eval_free(pupa_eval *ev);

#ifdef __cplusplus
}
#endif
#endif
