/* Scanning the list with worker threads. Workers claim items in list order from an atomic
 * counter; the main thread waits for the items one by one in the same order and hands each to
 * the reporter as soon as it is finished, so output is in list order, streams out while the scan
 * runs, and only the audits finished ahead of the slowest file are held in memory. While it
 * waits, the main thread keeps a progress line on standard error when that is a terminal and the
 * scan has run for more than a second. Standard input is read by a worker like any file. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "scan_job.h"

typedef struct pool {
    scan_list *l;
    const scan_opts *o;
    const npg_ctx *ctx;
    npg_audit_opts ao;
    atomic_size_t next;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t finished;
} pool;

static void finish(pool *p, scan_item *it)
{
    pthread_mutex_lock(&p->mu);
    atomic_store(&it->done, true);
    p->finished++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->l->n) break;
        scan_item *it = &p->l->v[i];
        if (atomic_load(&it->done)) continue;
        if (it->is_stdin) scan_stdin(it, p->ctx, &p->ao, p->o->max_file_size);
        else scan_one(it, p->ctx, &p->ao, p->o->max_file_size);
        finish(p, it);
    }
    return NULL;
}

/* ---- progress */

typedef struct progress {
    bool enabled, shown;
    struct timespec start, last;
} progress;

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void progress_tick(progress *pr, size_t done, size_t total)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!pr->enabled || since(&pr->start, &now) < 1.0 || (pr->shown && since(&pr->last, &now) < 0.2)) return;
    fprintf(stderr, "\rnpguard: %zu of %zu files scanned\033[K", done, total);
    fflush(stderr);
    pr->shown = true;
    pr->last = now;
}

static void progress_clear(progress *pr)
{
    if (!pr->shown) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    pr->shown = false;
}

/* Wait (showing progress) until item i is finished. */
static void wait_for(pool *p, size_t i, progress *pr)
{
    pthread_mutex_lock(&p->mu);
    while (!atomic_load(&p->l->v[i].done)) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 200 * 1000 * 1000;
        if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&p->cv, &p->mu, &t);
        size_t done = p->finished;
        pthread_mutex_unlock(&p->mu);
        progress_tick(pr, done, p->l->n);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
}

/* Items settled before the workers start: errors met while walking directories. */
static size_t settle_early(pool *p)
{
    size_t todo = 0;
    for (size_t i = 0; i < p->l->n; i++) {
        scan_item *it = &p->l->v[i];
        if (it->state == ITEM_ERROR) {
            atomic_store(&it->done, true);
            p->finished++;
        } else {
            todo++;
        }
    }
    return todo;
}

static size_t start_workers(pool *p, pthread_t *t, size_t want)
{
    size_t n = 0;
    while (n < want && pthread_create(&t[n], NULL, worker, p) == 0) n++;
    return n;
}

int scan_run(scan_list *l, const scan_opts *o, const npg_ctx *ctx, reporter *r, scan_summary *s)
{
    /* name stays NULL here: standard input has none, scan_one names each file */
    pool p = {l, o, ctx, {.flags = o->audit_flags, .allow = o->allow.v, .nallow = o->allow.n, .name = NULL}, 0,
              PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    atomic_init(&p.next, 0);
    progress pr = {isatty(STDERR_FILENO) == 1, false, {0, 0}, {0, 0}};
    clock_gettime(CLOCK_MONOTONIC, &pr.start);
    size_t todo = settle_early(&p), want = todo < o->jobs ? todo : o->jobs;
    pthread_t *t = want ? calloc(want, sizeof *t) : NULL;
    size_t nt = t ? start_workers(&p, t, want) : 0;
    r->begin(r);
    for (size_t i = 0; i < l->n; i++) {
        scan_item *it = &l->v[i];
        if (nt == 0 && !atomic_load(&it->done)) { /* no thread could start: scan here */
            if (it->is_stdin) scan_stdin(it, ctx, &p.ao, o->max_file_size);
            else scan_one(it, ctx, &p.ao, o->max_file_size);
            finish(&p, it);
        }
        wait_for(&p, i, &pr);
        progress_clear(&pr);
        r->file(r, it);
        scan_count(s, it, o);
        npg_audit_free(it->audit);
        it->audit = NULL;
    }
    for (size_t k = 0; k < nt; k++) pthread_join(t[k], NULL);
    free(t);
    progress_clear(&pr);
    r->end(r, s);
    return 0;
}
