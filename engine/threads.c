/*
 * threads.c: helper threads, which work beside a serial stage, and nothing
 * else.
 *
 * A build starts a helper for work it will need later (loading the
 * lexicon) while it lists the corpus or checks the index's seal, syncs the
 * index on one while it hashes it, and stats a large folder's files on
 * several (reader.c); it joins each.
 *
 * Where a helper starts matters.  Linux puts a new thread on its creator's
 * core and leaves a balancer to move it, up to a scheduler tick (4 ms)
 * later, when the kernel takes a virtual machine's idle cores for busy (a
 * halted virtual CPU counts as preempted).  Measured on the 2-core machine
 * pupa is benchmarked on: a thread made while its creator computed started
 * 3.3-3.9 ms later, on the creator's core, five times in five.  A helper
 * would then only slow the stage it was meant to run beside.  So a helper
 * starts on one of the process's other cores, then lets itself run anywhere
 * again.
 */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

struct pupa_helper {
    pthread_t thread;
    void (*run)(void *);
    void *arg;
    int moved;         /* started away from its creator's core */
    cpu_set_t allowed; /* the creator's cores, given back once started */
};

static void *helper_main(void *p)
{
    pupa_helper *h = p;
    if (h->moved)
        pthread_setaffinity_np(pthread_self(), sizeof h->allowed, &h->allowed);
    h->run(h->arg);
    return NULL;
}

/* Fills attr to start a thread on another of the caller's cores; 0 when
 * it has none (or the attributes cannot be set). */
static int elsewhere(pupa_helper *h, pthread_attr_t *attr)
{
    int here = sched_getcpu();
    if (here < 0 || here >= CPU_SETSIZE ||
        pthread_getaffinity_np(pthread_self(), sizeof h->allowed, &h->allowed) != 0)
        return 0;
    cpu_set_t others = h->allowed;
    CPU_CLR(here, &others);
    if (CPU_COUNT(&others) == 0 || pthread_attr_init(attr) != 0)
        return 0;
    if (pthread_attr_setaffinity_np(attr, sizeof others, &others) != 0) {
        pthread_attr_destroy(attr);
        return 0;
    }
    return 1;
}

pupa_helper *pupa_helper_start(void (*run)(void *), void *arg)
{
    pupa_helper *h = malloc(sizeof *h);
    if (!h)
        return NULL;
    h->run = run;
    h->arg = arg;
    pthread_attr_t attr;
    h->moved = elsewhere(h, &attr);
    int rc = pthread_create(&h->thread, h->moved ? &attr : NULL, helper_main, h);
    if (h->moved)
        pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(h);
        return NULL;
    }
    return h;
}

void pupa_helper_join(pupa_helper *h)
{
    if (!h)
        return;
    pthread_join(h->thread, NULL);
    free(h);
}
