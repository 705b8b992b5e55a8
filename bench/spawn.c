/*
 * spawn.c: runs one command and reports what it cost, for bench/run.
 *
 *   pupa-bench-spawn [--no-sample] REPORT CMD [ARG...]
 *
 * Writes to REPORT one JSON object: wall seconds, user and system CPU
 * seconds, peak RSS (KB, from the kernel's rusage) and exit status of CMD,
 * and the peaks of its anonymous and file-backed resident memory (RssAnon:
 * memory the process holds; RssFile: mapped file pages, such as LMDB's map
 * of the index, which the kernel can drop), sampled by a second thread from
 * /proc/PID/status every 5 ms while the main one waits for the command, so
 * the wall time is exact.  The command's stdin, stdout and stderr are this
 * program's.
 *
 * It also samples each thread's CPU time (/proc/PID/task/TID/stat) and
 * reports the busiest thread's: with N threads, the total CPU time over the
 * busiest thread's bounds the speed-up the run could have had on N idle
 * cores, a figure that other processes on a shared machine do not distort
 * the way they distort elapsed time.
 *
 * Sampling has a cost the measured command pays: on the 2-core VM the
 * sampler's wake-ups took a core from `pupa index -j 2` often enough that
 * its best wall time went up 3-12% in three sets of alternating runs
 * (113.5 -> 127.4 ms at most), -j 1, with a core to spare, 1.5-3%
 * (docs/benchmarks.md).  So with --no-sample there
 * is no sampler: the report has wall time, CPU time, rusage's peak RSS and
 * the exit status, and zeros for the sampled figures.  bench/run times
 * with --no-sample and samples in runs of their own.
 *
 * Why not measure from Python with os.wait4: Linux carries a process's peak
 * RSS across exec, so a child forked from the Python driver reports the
 * driver's own size (100 MB and more) as its peak.  Forked from this small
 * program, the child starts from a megabyte or two.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TASKS 1024
static long task_id[MAX_TASKS], task_ticks[MAX_TASKS];
static int ntasks;

/* Records the CPU ticks of every thread of pid. */
static void sample_tasks(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        long tid = atol(e->d_name);
        if (tid <= 0)
            continue;
        char sp[96], buf[1024];
        snprintf(sp, sizeof sp, "/proc/%d/task/%ld/stat", (int)pid, tid);
        FILE *f = fopen(sp, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        unsigned long ut = 0, st = 0;
        /* After "pid (comm)": state and 10 more fields, then utime, stime. */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
                         &st) != 2)
            continue;
        int i = 0;
        while (i < ntasks && task_id[i] != tid)
            i++;
        if (i == ntasks) {
            if (ntasks == MAX_TASKS)
                continue;
            task_id[ntasks++] = tid;
        }
        task_ticks[i] = (long)(ut + st);
    }
    closedir(d);
}

/* Adds the current RssAnon and RssFile (KB) of pid to the peaks. */
static void sample(pid_t pid, long *anon, long *file)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    long v;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "RssAnon: %ld", &v) == 1 && v > *anon)
            *anon = v;
        else if (sscanf(line, "RssFile: %ld", &v) == 1 && v > *file)
            *file = v;
    }
    fclose(f);
}

/* The sampler thread: RSS peaks and thread CPU every 5 ms until told to
 * stop.  The main thread waits for the child in wait4, so the wall time is
 * exact, not rounded up to the next sample (a 6 ms run measured 10). */
typedef struct sampler {
    pid_t pid;
    long anon, file;
    int stop; /* atomic */
} sampler;

static void *sample_loop(void *arg)
{
    sampler *s = arg;
    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        sample(s->pid, &s->anon, &s->file);
        sample_tasks(s->pid);
        struct timespec nap = {0, 5000000};
        nanosleep(&nap, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *prog = argv[0];
    int sampling = !(argc > 1 && strcmp(argv[1], "--no-sample") == 0);
    if (!sampling) {
        argv++;
        argc--;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: %s [--no-sample] REPORT CMD [ARG...]\n", prog);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    sampler smp = {.pid = pid};
    pthread_t th;
    int threaded = sampling && pthread_create(&th, NULL, sample_loop, &smp) == 0;
    int status = 0;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    if (w != pid) {
        perror("wait4");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    __atomic_store_n(&smp.stop, 1, __ATOMIC_RELEASE);
    if (threaded)
        pthread_join(th, NULL);
    long anon = smp.anon, file = smp.file;
    long tick = sysconf(_SC_CLK_TCK), busiest = 0, total = 0;
    for (int i = 0; i < ntasks; i++) {
        total += task_ticks[i];
        if (task_ticks[i] > busiest)
            busiest = task_ticks[i];
    }
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fprintf(f,
            "{\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,\"maxrss_kb\":%ld,"
            "\"rss_anon_kb\":%ld,\"rss_file_kb\":%ld,\"threads_seen\":%d,"
            "\"busiest_thread_cpu_s\":%.3f,\"threads_cpu_s\":%.3f,\"rc\":%d}\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, anon, file, ntasks,
            tick > 0 ? (double)busiest / (double)tick : 0, tick > 0 ? (double)total / (double)tick : 0,
            rc);
    fclose(f);
    return rc;
}
