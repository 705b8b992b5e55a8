/*
 * thread_start.c: how long this machine takes to give a new thread a core,
 * for bench/run's record of the machine.
 *
 *   pupa-bench-threads
 *
 * Prints one JSON line with two times, each taken once in this fresh
 * process (bench/run runs it several times and keeps them all):
 *   pthread_start_ms  from pthread_create until the new thread runs, while
 *                     the creating thread goes on working, as pupa's main
 *                     thread does after it starts a helper;
 *   omp_region_ms     from the first "omp parallel" of two threads until the
 *                     calling thread runs inside it (libgomp's master waits
 *                     for its new threads, spinning under the default
 *                     OMP_WAIT_POLICY).
 * On a machine that wakes an idle core at once both are about 0.1 ms.  On
 * the 2-core VMs pupa is developed on (kernel parameter sched_vcpu_pack),
 * a new thread often waits for the next scheduler tick, up to 4 ms, and a
 * spinning master holds the core it waits on: that is noise in every
 * measurement of a short run on two threads, and bench/run records it so
 * the figures can be read with it.
 */
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double started_at; /* the new thread's, published by started */
static int started;

static void *note_start(void *arg)
{
    started_at = now_ms();
    __atomic_store_n(&started, 1, __ATOMIC_RELEASE);
    return arg;
}

int main(void)
{
    /* The OpenMP region first: a pthread made before it would leave a core
     * awake. */
    double region_call = now_ms(), region_entered = 0;
#pragma omp parallel num_threads(2)
    {
        if (omp_get_thread_num() == 0)
            region_entered = now_ms();
    }
    double created = now_ms();
    pthread_t thread;
    if (pthread_create(&thread, NULL, note_start, NULL) != 0) {
        fprintf(stderr, "pupa-bench-threads: cannot start a thread\n");
        return 1;
    }
    /* Busy, as a creator with work to do; a bound keeps a lost thread from
     * hanging the benchmark. */
    while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE) && now_ms() - created < 1000)
        ;
    pthread_join(thread, NULL);
    printf("{\"pthread_start_ms\": %.3f, \"omp_region_ms\": %.3f}\n", started_at - created,
           region_entered - region_call);
    return 0;
}
