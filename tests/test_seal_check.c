/*
 * test_seal_check.c: an update's seal check begun early and shared
 * (seal.c, pupa_seal_check_*), which a build's helper joins once it has
 * loaded the lexicon.  On a data.mdb of stand-in bytes, sealed, it checks:
 *  - hashed wholly by a "helper" before the check, partly by a helper
 *    thread running beside the check, or not at all, the check gives the
 *    same sum and unit sums as a check begun late, and accepts the file;
 *  - a byte changed before the check began is refused as damaged, however
 *    the hashing was shared;
 *  - a byte changed after a helper hashed it, with the file's mtime
 *    moved as any write moves it, is refused too: the check sees that
 *    data.mdb is not the file it began on and hashes it again;
 *  - a check begun and stopped (the corpus was unchanged after all) frees
 *    cleanly, and one begun on no index is NULL;
 *  - a unit's checksum is the same with the SIMD lanes as computed a word
 *    at a time (the only way on a machine without SSE2), for whole and
 *    partial stripes, one lane scramble and many, and five unit numbers,
 *    each seeding its own sum; and one flipped bit anywhere changes it.
 */
#include "check.h"
#include "index.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tmpdir.h"

/* Three and a half 4 MB chunks, so there is something to share. */
#define DATA_BYTES ((size_t)(14 << 20) + 4096 * 3)

static char dir[512], data_path[600];
static unsigned char *good;

static void write_data(const unsigned char *bytes)
{
    write_bytes(data_path, bytes, DATA_BYTES);
}

/* Moves data.mdb's mtime on by secs, as a write at a later time would. */
static void bump_mtime(int secs)
{
    struct stat st;
    CHECK(stat(data_path, &st) == 0);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    times[1].tv_sec += secs;
    CHECK(utimensat(AT_FDCWD, data_path, times, 0) == 0);
}

static void *help_thread(void *check)
{
    pupa_seal_check_help(check);
    return NULL;
}

/* How the hashing is shared before pupa_index_check finishes it. */
enum share { SHARE_NONE, SHARE_ALL_BEFORE, SHARE_THREAD };

/* Runs an early check shared as said; returns pupa_index_check's result
 * and fills keep. */
static int early_check(enum share share, long lag_ns, pupa_seal_keep *keep)
{
    pupa_seal_check *check = pupa_seal_check_begin(dir);
    CHECK(check != NULL);
    pthread_t helper;
    int started = 0;
    if (share == SHARE_ALL_BEFORE)
        pupa_seal_check_help(check);
    else if (share == SHARE_THREAD) {
        started = pthread_create(&helper, NULL, help_thread, check) == 0;
        /* Let the helper get going, by a different amount each round, so
         * the check meets it before, during and after its chunks. */
        nanosleep(&(struct timespec){0, lag_ns}, NULL);
    }
    int rc = pupa_index_check(dir, 1, check, keep);
    pupa_seal_check_stop(check);
    if (started)
        pthread_join(helper, NULL);
    pupa_seal_check_free(check);
    return rc;
}

static void test_shared_sums(void)
{
    pupa_seal_keep late, early;
    CHECK_EQ_INT(pupa_index_check(dir, 1, NULL, &late), 0);
    CHECK(late.valid && late.nunits == (DATA_BYTES + 65535) / 65536);
    for (int share = SHARE_NONE; share <= SHARE_THREAD; share++)
        for (int round = 0; round < (share == SHARE_THREAD ? 20 : 1); round++) {
            CHECK_EQ_INT(early_check((enum share)share, round * 150000L, &early), 0);
            CHECK(early.valid && early.sum == late.sum && early.size == late.size);
            CHECK(early.nunits == late.nunits && early.units && late.units &&
                  memcmp(early.units, late.units, late.nunits * sizeof *late.units) == 0);
            pupa_seal_keep_free(&early);
        }
    pupa_seal_keep_free(&late);
}

static void test_damage_before(void)
{
    unsigned char *bad = malloc(DATA_BYTES);
    memcpy(bad, good, DATA_BYTES);
    bad[(size_t)9 << 20] ^= 0x40; /* in the third chunk */
    write_data(bad);
    for (int share = SHARE_NONE; share <= SHARE_THREAD; share++) {
        pupa_seal_keep keep;
        int rc = early_check((enum share)share, 500000L, &keep);
        CHECK_EQ_INT(rc, PUPA_ECORRUPT);
        CHECK(strstr(pupa_errmsg(), "damaged") != NULL);
        pupa_seal_keep_free(&keep);
    }
    write_data(good);
    free(bad);
}

static void test_damage_after_helping(void)
{
    pupa_seal_check *check = pupa_seal_check_begin(dir);
    CHECK(check != NULL);
    pupa_seal_check_help(check); /* every chunk hashed from the good bytes */
    unsigned char *bad = malloc(DATA_BYTES);
    memcpy(bad, good, DATA_BYTES);
    bad[100] ^= 0x01;
    write_data(bad);
    bump_mtime(2);
    pupa_seal_keep keep;
    CHECK_EQ_INT(pupa_index_check(dir, 1, check, &keep), PUPA_ECORRUPT);
    pupa_seal_keep_free(&keep);
    pupa_seal_check_free(check);
    write_data(good);
    free(bad);
}

static void test_stop_and_none(void)
{
    pupa_seal_check *check = pupa_seal_check_begin(dir);
    CHECK(check != NULL);
    pupa_seal_check_stop(check);
    pupa_seal_check_help(check); /* claims nothing once stopped */
    pupa_seal_check_free(check);
    char none[600];
    snprintf(none, sizeof none, "%s/none", tmpdir);
    CHECK(pupa_seal_check_begin(none) == NULL);
}

static void test_portable_lanes(void)
{
    /* Lengths around a stripe (64 bytes), a lane scramble (16 stripes) and
     * a whole 64 KB unit; good is random bytes. */
    static const size_t lens[] = {0, 1, 63, 64, 65, 127, 1023, 1024, 1025, 1088, 4096,
                                  65536 - 7, 65536};
    static const uint64_t units[] = {0, 1, 7, 12345, 0xFFFFFFFFFFull};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
        for (size_t u = 0; u < sizeof units / sizeof *units; u++) {
            const unsigned char *buf = good + 4096 * u + i;
            uint64_t simd = pupa_seal_unit_sum(buf, lens[i], units[u], 0);
            CHECK(simd == pupa_seal_unit_sum(buf, lens[i], units[u], 1));
            if (u > 0) /* the unit's number seeds it */
                CHECK(simd != pupa_seal_unit_sum(buf, lens[i], units[u - 1], 0));
        }
    /* One bit flipped anywhere in a unit changes both, alike. */
    unsigned char *unit = malloc(65536);
    memcpy(unit, good, 65536);
    uint64_t before = pupa_seal_unit_sum(unit, 65536, 3, 1);
    int unchanged = 0, differ = 0;
    for (size_t at = 0; at < 65536; at += 997) {
        unit[at] ^= (unsigned char)(1u << (at % 8));
        uint64_t simd = pupa_seal_unit_sum(unit, 65536, 3, 0);
        unchanged += simd == before;
        differ += simd != pupa_seal_unit_sum(unit, 65536, 3, 1);
        unit[at] ^= (unsigned char)(1u << (at % 8));
    }
    CHECK_EQ_INT(unchanged, 0);
    CHECK_EQ_INT(differ, 0);
    free(unit);
}

int main(void)
{
    tmp_setup("sealcheck");
    snprintf(dir, sizeof dir, "%s/ix", tmpdir);
    snprintf(data_path, sizeof data_path, "%s/data.mdb", dir);
    good = malloc(DATA_BYTES);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < DATA_BYTES; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        good[i] = (unsigned char)x;
    }
    write_data(good);
    CHECK_EQ_INT(pupa_index_seal(dir), 0);
    test_shared_sums();
    test_damage_before();
    test_damage_after_helping();
    test_stop_and_none();
    test_portable_lanes();
    free(good);
    tmp_cleanup();
    return check_result();
}
