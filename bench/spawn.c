/*
 * spawn.c: runs one command and reports what it cost, for bench/run.
 *
 *   pupa-bench-spawn REPORT CMD [ARG...]
 *
 * Writes to REPORT one JSON object: wall seconds, user and system CPU
 * seconds, peak RSS (KB, from the kernel's rusage) and exit status of CMD,
 * and the peaks of its anonymous and file-backed resident memory, sampled
 * from /proc/PID/status every 5 ms (RssAnon: memory the process holds;
 * RssFile: mapped file pages, such as LMDB's map of the index, which the
 * kernel can drop).  The command's stdin, stdout and stderr are this
 * program's.
 *
 * Why not measure from Python with os.wait4: Linux carries a process's peak
 * RSS across exec, so a child forked from the Python driver reports the
 * driver's own size (100 MB and more) as its peak.  Forked from this small
 * program, the child starts from a megabyte or two.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s REPORT CMD [ARG...]\n", argv[0]);
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
    int status = 0;
    struct rusage ru;
    long anon = 0, file = 0;
    for (;;) {
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            perror("wait4");
            return 1;
        }
        sample(pid, &anon, &file);
        struct timespec nap = {0, 5000000};
        nanosleep(&nap, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fprintf(f,
            "{\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,\"maxrss_kb\":%ld,"
            "\"rss_anon_kb\":%ld,\"rss_file_kb\":%ld,\"rc\":%d}\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, anon, file, rc);
    fclose(f);
    return rc;
}
