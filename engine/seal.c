/*
 * seal.c: the seal of an index (pupa.seal beside data.mdb), and nothing else.
 *
 * LMDB does not check its pages: a flipped flag byte or a cut file can
 * crash it inside mdb_get.  So a finished build writes pupa.seal: "sealed4
 * SIZE CHECKSUM" of the whole of data.mdb, and the corpus stamp when the
 * build coded every file (build.c).  A reader verifies it before LMDB maps
 * a byte, and refuses a file that does not match; "building" means a build
 * is running or was interrupted, which a reader refuses and the next build
 * resumes (LMDB commits are atomic, so what was committed is sound).
 *
 * The checksum cuts data.mdb into 64 KB units, hashes each on its own (4 MB
 * of them at a time, in parallel), and combines the units' sums in
 * order with the file's size, so it does not depend on the thread count
 * (data_checksum).  An update hashes again only the units LMDB may have
 * written, and reuses the sums of the others from its check before writing
 * (pupa_seal_track): adding a year writes a few dozen old pages and the
 * new ones at the end.  That check may begin before the build needs it,
 * and the build's helper thread, once it has loaded the lexicon, hashes
 * the chunks the build has not reached (pupa_seal_check_*).
 */
#include "index.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SEAL_NAME "pupa.seal"
/* "sealed" was the tag of the first checksum, over the whole file in one
 * sequence; "sealed2" combined the sums of 4 MB chunks; "sealed3" those of
 * 64 KB units; "sealed4" hashes each unit with SIMD lanes (unit_checksum). */
#define SEAL_TAG "sealed4"
#define UNIT ((size_t)64 << 10)
#define CHUNK ((size_t)4 << 20) /* claimed by one thread at a time, UNIT-aligned */
#define PARALLEL_MIN ((size_t)12 << 20) /* bytes to hash before threads help */

/* The checksum of one unit of data.mdb, seeded with its number.  It has
 * the shape of XXH3's long-input loop: eight 64-bit lanes; each 8-byte
 * word of a 64-byte stripe, xored with its lane's key, has its two 32-bit
 * halves multiplied into its lane, and the word itself is added to the
 * neighbouring lane, so a changed bit always changes a lane; every 16
 * stripes the lanes are scrambled.  SSE2 (every x86-64 has it) does two
 * lanes at a time.  Hashing a 26 MB index on one thread: 2.9 ms with the
 * multiply-rotate lanes of "sealed3", 1.2 with these (plus 1.0 ms to map
 * it either way). */
static const uint64_t unit_keys[8] = {
    0x9E3779B97F4A7C15ull, 0xBF58476D1CE4E5B9ull, 0x94D049BB133111EBull, 0xD6E8FEB86659FD93ull,
    0xA0761D6478BD642Full, 0xE7037ED1A0B428DBull, 0x8EBC6AF09C88C6E3ull, 0x589965CC75374CC3ull};
#define UNIT_SCRAMBLE 0x9E3779B1u /* a 32-bit prime: SSE2 multiplies 32 x 32 bits */

/* The lanes a word at a time: the checksum's definition.  Every build
 * compiles it, so a test holds the SIMD lanes below to it on any machine
 * (tests/test_seal_check.c); a build without SSE2 hashes with it. */
static void unit_lanes_portable(const unsigned char *buf, size_t stripes, uint64_t lane[8])
{
    for (size_t s = 0; s < stripes; s++) {
        const unsigned char *p = buf + s * 64;
        for (int k = 0; k < 8; k++) {
            uint64_t word;
            memcpy(&word, p + 8 * k, 8);
            uint64_t keyed = word ^ unit_keys[k];
            lane[k] += (keyed & 0xffffffffu) * (keyed >> 32);
            lane[k ^ 1] += word;
        }
        if ((s & 15) == 15)
            for (int k = 0; k < 8; k++) {
                uint64_t a = (lane[k] ^ (lane[k] >> 47)) ^ unit_keys[6 - (k & ~1) + (k & 1)];
                lane[k] = a * UNIT_SCRAMBLE;
            }
    }
}

#ifdef __SSE2__
/* The same sums, two lanes at a time. */
static void unit_lanes_sse2(const unsigned char *buf, size_t stripes, uint64_t lane[8])
{
    __m128i acc[4], key[4];
    for (int j = 0; j < 4; j++) {
        acc[j] = _mm_loadu_si128((const __m128i *)(lane + 2 * j));
        key[j] = _mm_loadu_si128((const __m128i *)(unit_keys + 2 * j));
    }
    const __m128i scramble = _mm_set1_epi64x(UNIT_SCRAMBLE);
    for (size_t s = 0; s < stripes; s++) {
        const unsigned char *p = buf + s * 64;
        for (int j = 0; j < 4; j++) {
            __m128i word = _mm_loadu_si128((const __m128i *)(p + 16 * j));
            __m128i keyed = _mm_xor_si128(word, key[j]);
            __m128i halves = _mm_mul_epu32(keyed, _mm_srli_epi64(keyed, 32));
            __m128i swapped = _mm_shuffle_epi32(word, _MM_SHUFFLE(1, 0, 3, 2));
            acc[j] = _mm_add_epi64(acc[j], _mm_add_epi64(halves, swapped));
        }
        if ((s & 15) == 15)
            for (int j = 0; j < 4; j++) {
                __m128i a = _mm_xor_si128(acc[j], _mm_srli_epi64(acc[j], 47));
                a = _mm_xor_si128(a, key[3 - j]);
                __m128i lo = _mm_mul_epu32(a, scramble);
                __m128i hi = _mm_mul_epu32(_mm_srli_epi64(a, 32), scramble);
                acc[j] = _mm_add_epi64(lo, _mm_slli_epi64(hi, 32));
            }
    }
    for (int j = 0; j < 4; j++)
        _mm_storeu_si128((__m128i *)(lane + 2 * j), acc[j]);
}
#define unit_lanes unit_lanes_sse2
#else
#define unit_lanes unit_lanes_portable
#endif

static uint64_t unit_checksum_by(const unsigned char *buf, size_t len, uint64_t unit,
                                 void (*lanes)(const unsigned char *, size_t, uint64_t *))
{
    uint64_t seed = PUPA_HASH_INIT ^ (unit * 0x9E3779B97F4A7C15ull);
    uint64_t lane[8];
    for (int k = 0; k < 8; k++)
        lane[k] = seed + unit_keys[k];
    size_t stripes = len / 64;
    lanes(buf, stripes, lane);
    /* Pairs of lanes folded through a 128-bit product, then the bytes
     * after the last whole stripe (none in a file of LMDB pages). */
    uint64_t h = seed ^ len;
    for (int k = 0; k < 8; k += 2) {
        unsigned __int128 p = (unsigned __int128)(lane[k] ^ unit_keys[k]) *
                              (lane[k + 1] ^ unit_keys[k + 1]);
        h += (uint64_t)p ^ (uint64_t)(p >> 64);
    }
    h = pupa_hash(h, buf + stripes * 64, len - stripes * 64);
    h ^= h >> 37;
    h *= 0x165667919E3779F9ull;
    return h ^ (h >> 32);
}

static uint64_t unit_checksum(const unsigned char *buf, size_t len, uint64_t unit)
{
    return unit_checksum_by(buf, len, unit, unit_lanes);
}

uint64_t pupa_seal_unit_sum(const unsigned char *buf, size_t len, uint64_t unit, int portable)
{
    return unit_checksum_by(buf, len, unit, portable ? unit_lanes_portable : unit_lanes);
}

/* data.mdb being hashed: threads claim its chunks in turn (sum_job_hash),
 * so the build's threads and a helper can share the work, each taking
 * what is left when it arrives.  With known (the units' sums of the file
 * as verified at known_size bytes) and written (per known unit: may have
 * changed since), a unit that was not written, and was whole then and is
 * now, keeps its known sum and is not read. */
typedef struct sum_job {
    int fd;
    struct stat st; /* data.mdb's when the job began */
    const unsigned char *map; /* all of it, read a chunk at a time (sum_job_hash) */
    size_t n, nunits, nchunks;
    uint64_t *sums;
    const uint64_t *known;
    const unsigned char *written;
    size_t reuse;  /* units [0, reuse) may keep their known sums */
    size_t next;   /* the next chunk to claim (atomic) */
    size_t done;   /* chunks hashed (atomic) */
    int stop;      /* claim no more (atomic) */
} sum_job;

static int sum_job_open(sum_job *job, const char *path, const uint64_t *known,
                        uint64_t known_size, const unsigned char *written)
{
    memset(job, 0, sizeof *job);
    job->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (job->fd < 0)
        return pupa_fail(errno == ENOENT ? PUPA_ENOTFOUND : PUPA_EIO, "%s: %s", path,
                         strerror(errno));
    if (fstat(job->fd, &job->st) != 0 || !S_ISREG(job->st.st_mode)) {
        close(job->fd);
        return pupa_fail(PUPA_EIO, "%s: not a regular file", path);
    }
    job->n = (size_t)job->st.st_size;
    if (job->n) {
        void *map = mmap(NULL, job->n, PROT_READ, MAP_PRIVATE, job->fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(job->fd);
            return pupa_fail(PUPA_EIO, "%s: cannot map: %s", path, strerror(e));
        }
        job->map = map;
    }
    job->nunits = (job->n + UNIT - 1) / UNIT;
    job->nchunks = (job->n + CHUNK - 1) / CHUNK;
    if (!(job->sums = malloc((job->nunits ? job->nunits : 1) * sizeof *job->sums))) {
        if (job->map)
            munmap((void *)job->map, job->n);
        close(job->fd);
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    job->known = known;
    job->written = written;
    job->reuse = known && written ? (size_t)((known_size < job->n ? known_size : job->n) / UNIT)
                                  : 0;
    return 0;
}

static void sum_job_close(sum_job *job)
{
    if (job->map)
        munmap((void *)job->map, job->n);
    close(job->fd);
    free(job->sums);
}

static int reused(const sum_job *job, size_t u)
{
    return u < job->reuse && !job->written[u];
}

/* Hashes chunks until none is left to claim (or the job is stopped). */
static void sum_job_hash(sum_job *job)
{
    size_t per_chunk = CHUNK / UNIT;
    for (;;) {
        size_t c = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
        if (c >= job->nchunks || __atomic_load_n(&job->stop, __ATOMIC_RELAXED))
            return;
        size_t u0 = c * per_chunk, u1 = u0 + per_chunk < job->nunits ? u0 + per_chunk : job->nunits;
        /* The units to read; the rest keep their known sums. */
        size_t first = 0, end = 0; /* the span read: end 0, none yet */
        for (size_t u = u0; u < u1; u++) {
            if (reused(job, u)) {
                job->sums[u] = job->known[u];
                continue;
            }
            size_t off = u * UNIT, len = job->n - off < UNIT ? job->n - off : UNIT;
            job->sums[u] = unit_checksum(job->map + off, len, u);
            if (!end)
                first = off;
            end = off + len;
        }
        /* Read: its pages leave the process's resident set, which stays
         * flat however large the index.  Once a chunk, over the span of
         * what was read: each call interrupts every core the process runs
         * on to flush its TLB, and an update's finish reads dozens of
         * scattered units a chunk (pages never read cost the call
         * nothing): adding a year to the 24 MB bench corpus, the finish's
         * checksum made 20-odd calls, now 7. */
        if (end)
            madvise((void *)(job->map + first), end - first, MADV_DONTNEED);
        __atomic_fetch_add(&job->done, 1, __ATOMIC_RELEASE);
    }
}

/* Hashes what is left on up to threads threads, waits for chunks other
 * threads claimed, and combines the units' sums in order with the file's
 * size.  Eight threads at most.
 * On the 16-core machine a 240 MB index took 16-34 ms on four threads and
 * 11-16 on eight (eight builds each; more threads were not tried); memory
 * bandwidth, not hashing, is the limit.  A build passes its own count:
 * -j 1 means one thread, not more that spin once done.  Measured on a
 * 370 MB index (2 cores): 4 MB chunks mapped, 52 ms on one thread and 38
 * on two; 1 MB chunks, 59 and 48 (more map calls, which take the process's
 * memory-map lock in turn); read into a buffer instead, 92 and 47.  Since
 * 2026-11-23 the file is mapped once and each chunk's pages are given back
 * once read (sum_job_hash): pupa seal of a 107 MB index, medians of five
 * sets of 10 runs, 14.6 -> 13.5 ms on one thread and 13.4 -> 11.9 on two;
 * and a lexicon loaded beside a check no longer waits on each chunk's map
 * and unmap (docs/benchmarks.md). */
static void sum_job_finish(sum_job *job, int threads, uint64_t *size, uint64_t *sum,
                           uint64_t **units_out, size_t *nunits_out)
{
    int nthreads = threads > 0 ? threads : omp_get_max_threads();
    if (nthreads > 8)
        nthreads = 8;
    /* Under PARALLEL_MIN bytes to read, this thread alone: a parallel
     * region wakes the team's sleeping threads, and on the 2-core VMs a
     * wake-up can take a 4 ms tick (docs/benchmarks.md).  Adding a year to
     * the 24 MB bench corpus reads about 8 MB here: its checksum took 1.2-
     * 1.8 ms on two threads, and 4.4 ms in 2 runs of 8. */
    size_t next = __atomic_load_n(&job->next, __ATOMIC_RELAXED), to_read = 0;
    for (size_t u = next * (CHUNK / UNIT); u < job->nunits; u++)
        to_read += !reused(job, u);
#pragma omp parallel num_threads(nthreads) if (to_read * UNIT > PARALLEL_MIN)
    sum_job_hash(job);
    /* A helper's last chunk takes a fraction of a millisecond. */
    while (__atomic_load_n(&job->done, __ATOMIC_ACQUIRE) < job->nchunks)
        nanosleep(&(struct timespec){0, 20000}, NULL);
    uint64_t h = pupa_hash(PUPA_HASH_INIT, &job->n, sizeof job->n);
    *sum = pupa_hash(h, job->sums, job->nunits * sizeof *job->sums);
    *size = job->n;
    if (units_out) { /* the caller's now */
        *units_out = job->sums;
        *nunits_out = job->nunits;
        job->sums = NULL;
    }
}

/* A fast checksum of data.mdb, which LMDB never maps before it is checked.
 * Every query opens the index through this, so it is built to be quick:
 * the file is cut into UNIT-byte units, hashed in parallel (OpenMP) a
 * CHUNK at a time and combined in order, so the sum does not depend on the
 * thread count.  The file is mapped once, and each CHUNK's pages are given
 * back once hashed, so the resident set holds at most a chunk per thread
 * of the file.  known and written as for sum_job; *units_out, if given,
 * receives every unit's sum (malloc'ed). */
static int data_checksum(const char *dir, int threads, const uint64_t *known,
                         uint64_t known_size, const unsigned char *written, uint64_t *size,
                         uint64_t *sum, uint64_t **units_out, size_t *nunits_out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    sum_job job;
    int rc = sum_job_open(&job, path, known, known_size, written);
    if (rc)
        return rc;
    sum_job_finish(&job, threads, size, sum, units_out, nunits_out);
    sum_job_close(&job);
    return 0;
}

/* An update's seal check, begun before it is needed (index.h). */
struct pupa_seal_check {
    sum_job job;
    char path[4096];
};

pupa_seal_check *pupa_seal_check_begin(const char *dir)
{
    pupa_seal_check *check = malloc(sizeof *check);
    if (!check)
        return NULL;
    snprintf(check->path, sizeof check->path, "%s/data.mdb", dir);
    /* No index yet, or one the check proper will report on. */
    if (sum_job_open(&check->job, check->path, NULL, 0, NULL) != 0) {
        pupa_clear_error();
        free(check);
        return NULL;
    }
    return check;
}

void pupa_seal_check_help(pupa_seal_check *check)
{
    if (check)
        sum_job_hash(&check->job);
}

void pupa_seal_check_stop(pupa_seal_check *check)
{
    if (check)
        __atomic_store_n(&check->job.stop, 1, __ATOMIC_RELAXED);
}

void pupa_seal_check_free(pupa_seal_check *check)
{
    if (check) {
        sum_job_close(&check->job);
        free(check);
    }
}

/* The early check's sum, if data.mdb is still the file it began on
 * (device, inode, size, mtime); 1 when it is not (the caller then hashes
 * it afresh). */
static int early_checksum(pupa_seal_check *check, int threads, uint64_t *size, uint64_t *sum,
                          uint64_t **units, size_t *nunits)
{
    struct stat now;
    const struct stat *then = &check->job.st;
    if (stat(check->path, &now) != 0 || now.st_dev != then->st_dev ||
        now.st_ino != then->st_ino || now.st_size != then->st_size ||
        pupa_mtime_ns(&now) != pupa_mtime_ns(then))
        return 1;
    sum_job_finish(&check->job, threads, size, sum, units, nunits);
    return 0;
}

static int write_seal(const char *dir, const char *text)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/" SEAL_NAME, dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return pupa_fail(PUPA_EIO, "%s: %s", tmp, strerror(errno));
    chmod(tmp, 0600);
    int ok = fputs(text, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0)
        return pupa_fail(PUPA_EIO, "%s: cannot write the seal", path);
    return 0;
}

static int write_sealed(const char *dir, uint64_t size, uint64_t sum, uint64_t stamp)
{
    char text[128];
    if (stamp)
        snprintf(text, sizeof text, SEAL_TAG " %llu %016llx %016llx\n", (unsigned long long)size,
                 (unsigned long long)sum, (unsigned long long)stamp);
    else
        snprintf(text, sizeof text, SEAL_TAG " %llu %016llx\n", (unsigned long long)size,
                 (unsigned long long)sum);
    return write_seal(dir, text);
}

/* The seal file's text: 1 sealed (size, sum, and stamp or 0), 0
 * "building", PUPA_ENOTFOUND when there is none, or an error. */
static int read_seal(const char *dir, uint64_t *size, uint64_t *sum, uint64_t *stamp)
{
    char path[4096], text[128] = "";
    snprintf(path, sizeof path, "%s/" SEAL_NAME, dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? PUPA_ENOTFOUND
                               : pupa_fail(PUPA_EIO, "%s: %s", path, strerror(errno));
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    if (strcmp(text, "building\n") == 0)
        return 0;
    unsigned long long want_size = 0, want_sum = 0, want_stamp = 0;
    int end = 0;
    /* "sealed4 SIZE SUM\n", or with a corpus stamp after SUM.  (A "\n" in a
     * scanf format skips any white space, so the end is checked by hand.) */
    if (strncmp(text, "sealed ", 7) == 0 || strncmp(text, "sealed2 ", 8) == 0 ||
        strncmp(text, "sealed3 ", 8) == 0)
        return pupa_fail(PUPA_ECORRUPT,
                         "%s: an index sealed by an older pupa, whose checksum this one does "
                         "not compute; remove it and index again (or, if its data.mdb is known "
                         "to be sound, run pupa seal on it)", path);
    int fields = sscanf(text, SEAL_TAG " %llu %llx%n %llx%n", &want_size, &want_sum, &end,
                        &want_stamp, &end);
    if (fields < 2 || end <= 0 || (size_t)end + 1 != n || text[end] != '\n')
        return pupa_fail(PUPA_ECORRUPT, "%s: damaged seal", path);
    *size = want_size;
    *sum = want_sum;
    *stamp = want_stamp;
    return 1;
}

/* 1 sealed and matching, 0 "building", PUPA_ENOTFOUND no seal, or an error.
 * When sealed and matching and keep is given, remembers the seal.  Takes
 * the sum from early when given and still the file's. */
static int check_seal(const char *dir, int threads, pupa_seal_check *early,
                      pupa_seal_keep *keep)
{
    uint64_t want_size, want_sum, stamp, size, sum;
    int rc = read_seal(dir, &want_size, &want_sum, &stamp);
    if (rc <= 0)
        return rc;
    uint64_t *units = NULL;
    size_t nunits = 0;
    rc = early ? early_checksum(early, threads, &size, &sum, keep ? &units : NULL, &nunits) : 1;
    if (rc == 1)
        rc = data_checksum(dir, threads, NULL, 0, NULL, &size, &sum, keep ? &units : NULL,
                           &nunits);
    if (rc)
        return rc == PUPA_ENOTFOUND ? pupa_fail(PUPA_ECORRUPT, "%s: data.mdb is missing", dir) : rc;
    if (size != want_size || sum != want_sum) {
        free(units);
        return pupa_fail(PUPA_ECORRUPT,
                         "%s: the index is damaged (data.mdb does not match its seal); "
                         "remove it and index again", dir);
    }
    if (keep) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        unsigned char *written = calloc(nunits ? nunits : 1, 1);
        if (stat(path, &st) == 0 && (uint64_t)st.st_size == size) {
            keep->valid = 1;
            keep->size = size;
            keep->sum = sum;
            keep->mtime_ns = pupa_mtime_ns(&st);
            if (written) { /* without the flags, the sums are of no use */
                keep->units = units;
                keep->nunits = nunits;
                keep->written = written;
                units = NULL;
                written = NULL;
            }
        }
        free(units);
        free(written);
    }
    return 1;
}

void pupa_seal_keep_free(pupa_seal_keep *keep)
{
    free(keep->units);
    free(keep->written);
    memset(keep, 0, sizeof *keep);
}

/* Marks the units holding pages [from, to) of size psize as written;
 * to 0: through the end. */
static void mark_pages(pupa_seal_keep *keep, uint64_t from, uint64_t to, uint64_t psize)
{
    uint64_t u = from / (UNIT / psize), end = to ? (to - 1) / (UNIT / psize) + 1 : keep->nunits;
    for (; u < end && u < keep->nunits; u++)
        keep->written[u] = 1;
}

void pupa_seal_track(pupa_seal_keep *keep, MDB_env *env)
{
    if (!keep->units || !keep->written)
        return;
    if (!keep->tracked) {
        /* The first call, before any write: from now on. */
        keep->tracked = 1;
    } else if (keep->tracked < 0) {
        return; /* a call failed: the file is hashed whole */
    }
    MDB_envinfo info;
    MDB_stat st;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc = mdb_env_info(env, &info) || mdb_env_stat(env, &st) || !st.ms_psize ||
             UNIT % st.ms_psize || mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) ||
             mdb_cursor_open(txn, 0, &cur);
    if (!rc) {
        /* The meta pages are rewritten at every commit, and new pages
         * come after the last one. */
        mark_pages(keep, 0, 2, st.ms_psize);
        mark_pages(keep, (uint64_t)info.me_last_pgno + 1, 0, st.ms_psize);
        /* The free list (LMDB's FREE_DBI, 0): per record, a count of page
         * numbers, then the numbers; a page from it may be written next. */
        MDB_val k, v;
        int g;
        for (g = mdb_cursor_get(cur, &k, &v, MDB_FIRST); g == 0;
             g = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            const size_t *ids = v.mv_data;
            size_t nids = v.mv_size / sizeof *ids;
            if (v.mv_size % sizeof *ids || !nids || ids[0] >= nids) {
                rc = 1;
                break;
            }
            for (size_t i = 1; i <= ids[0]; i++)
                mark_pages(keep, ids[i], (uint64_t)ids[i] + 1, st.ms_psize);
        }
        rc = rc || (g && g != MDB_NOTFOUND);
    }
    if (cur)
        mdb_cursor_close(cur);
    if (txn)
        mdb_txn_abort(txn);
    if (rc)
        keep->tracked = -1;
}

int pupa_seal_verify(const char *dir)
{
    return check_seal(dir, 0, NULL, NULL);
}

int pupa_index_stamped(const char *dir, uint64_t stamp)
{
    uint64_t size, sum, sealed_stamp;
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    /* A damaged seal sets the error message, which the build that follows
     * sets again, with the same words, when it checks the seal. */
    int rc = read_seal(dir, &size, &sum, &sealed_stamp);
    return rc == 1 && stamp != 0 && sealed_stamp == stamp && stat(path, &st) == 0 &&
           S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
}

uint64_t pupa_seal_written_ns(const char *dir)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/" SEAL_NAME, dir);
    return stat(path, &st) == 0 ? pupa_mtime_ns(&st) : 0;
}

int pupa_index_check(const char *dir, int threads, pupa_seal_check *early,
                     pupa_seal_keep *keep)
{
    memset(keep, 0, sizeof *keep);
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    int rc = check_seal(dir, threads, early, keep);
    if (rc == PUPA_ENOTFOUND)
        return pupa_fail(PUPA_ECORRUPT, "%s: an index without a seal; remove it and index again",
                         dir);
    return rc < 0 ? rc : 0;
}

int pupa_index_mark_building(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return pupa_fail(PUPA_EIO, "%s: cannot create index directory: %s", dir, strerror(errno));
    return write_seal(dir, "building\n");
}

int pupa_index_unseal(const char *dir, int threads, pupa_seal_keep *keep)
{
    int rc = pupa_index_check(dir, threads, NULL, keep);
    return rc ? rc : pupa_index_mark_building(dir);
}

/* The checksum for the seal: keep's, when nothing was written since the
 * seal was verified (hashing the whole file again would double an
 * unchanged run's cost), else a new one. */
static int seal_sum(const char *dir, int threads, const pupa_seal_keep *keep,
                    pupa_seal_sum *out)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (keep->valid && stat(path, &st) == 0 && (uint64_t)st.st_size == keep->size &&
        pupa_mtime_ns(&st) == keep->mtime_ns) {
        out->size = keep->size;
        out->sum = keep->sum;
        return 0;
    }
    int tracked = keep->valid && keep->tracked > 0;
    return data_checksum(dir, threads, tracked ? keep->units : NULL, keep->size,
                         tracked ? keep->written : NULL, &out->size, &out->sum, NULL, NULL);
}

typedef struct sync_job {
    int fd, err;
} sync_job;

static void sync_file(void *arg)
{
    sync_job *job = arg;
    job->err = fdatasync(job->fd) == 0 ? 0 : errno;
}

int pupa_index_finish(struct pupa_index *ix, const char *dir, int threads,
                      const pupa_seal_keep *keep, pupa_seal_sum *sum)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    /* The sync starts first, on a helper: it waits on the disk while this
     * thread closes LMDB, gives memory back and hashes. */
    sync_job job = {open(path, O_RDONLY | O_CLOEXEC), 0};
    if (job.fd < 0)
        job.err = errno;
    pupa_helper *syncer = job.fd >= 0 && sum ? pupa_helper_start(sync_file, &job) : NULL;
    if (job.fd >= 0 && !syncer)
        sync_file(&job);
    if (ix->env)
        mdb_env_close(ix->env);
    ix->env = NULL;
    /* LMDB's page buffers and the coding buffers are free now: give them
     * back before the checksum maps chunks of the index. */
    malloc_trim(0);
    if (sum)
        sum->rc = seal_sum(dir, threads, keep, sum);
    pupa_helper_join(syncer);
    if (job.fd >= 0)
        close(job.fd);
    return job.err ? pupa_fail(PUPA_EIO, "%s: cannot sync: %s", path, strerror(job.err)) : 0;
}

int pupa_index_reseal(const char *dir, const pupa_seal_sum *sum, uint64_t stamp)
{
    return sum->rc ? sum->rc : write_sealed(dir, sum->size, sum->sum, stamp);
}

int pupa_index_seal(const char *dir)
{
    uint64_t size, sum;
    int rc = data_checksum(dir, 0, NULL, 0, NULL, &size, &sum, NULL, NULL);
    return rc ? rc : write_sealed(dir, size, sum, 0);
}
