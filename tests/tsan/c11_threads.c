/*
 * wiretag tests - c11_threads.c: C11 threads over pthreads, for TSan.
 *
 * Debian's librdkafka starts its threads and takes its locks through C11
 * <threads.h>. ThreadSanitizer intercepts pthread_create, mutexes and
 * condition variables, but not glibc's thrd_create, which reaches the
 * pthread internals directly: a TSan process then crashes inside the
 * sanitizer's allocator in the first thread librdkafka starts, and the
 * locks it takes are invisible. Linked into the executables of a TSan
 * build only (WT_SANITIZE=thread), these definitions take precedence over
 * glibc's for librdkafka too, and forward every call to the pthread
 * function TSan knows. glibc's mtx_t and cnd_t have the layout of
 * pthread_mutex_t and pthread_cond_t (its own mtx_lock casts the same way).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

typedef struct {
        thrd_start_t func;
        void *arg;
} wt_thrd_start_t;

static void *wt_thrd_trampoline(void *p) {
        wt_thrd_start_t s = *(wt_thrd_start_t *)p;
        free(p);
        return (void *)(intptr_t)s.func(s.arg);
}

static int wt_thrd_err(int rc) {
        return rc == 0           ? thrd_success
               : rc == ETIMEDOUT ? thrd_timedout
               : rc == EBUSY     ? thrd_busy
               : rc == ENOMEM    ? thrd_nomem
                                 : thrd_error;
}

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg) {
        wt_thrd_start_t *s = malloc(sizeof(*s));
        int rc;
        if (!s)
                return thrd_nomem;
        s->func = func;
        s->arg = arg;
        rc = pthread_create((pthread_t *)thr, NULL, wt_thrd_trampoline, s);
        if (rc)
                free(s);
        return wt_thrd_err(rc);
}

int thrd_join(thrd_t thr, int *res) {
        void *ret;
        int rc = pthread_join((pthread_t)thr, &ret);
        if (!rc && res)
                *res = (int)(intptr_t)ret;
        return wt_thrd_err(rc);
}

int thrd_detach(thrd_t thr) {
        return wt_thrd_err(pthread_detach((pthread_t)thr));
}

int mtx_init(mtx_t *m, int type) {
        pthread_mutexattr_t a;
        int rc;
        pthread_mutexattr_init(&a);
        if (type & mtx_recursive)
                pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
        rc = pthread_mutex_init((pthread_mutex_t *)m, &a);
        pthread_mutexattr_destroy(&a);
        return wt_thrd_err(rc);
}

int mtx_lock(mtx_t *m) {
        return wt_thrd_err(pthread_mutex_lock((pthread_mutex_t *)m));
}

int mtx_trylock(mtx_t *m) {
        return wt_thrd_err(pthread_mutex_trylock((pthread_mutex_t *)m));
}

int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts) {
        return wt_thrd_err(pthread_mutex_timedlock((pthread_mutex_t *)m, ts));
}

int mtx_unlock(mtx_t *m) {
        return wt_thrd_err(pthread_mutex_unlock((pthread_mutex_t *)m));
}

void mtx_destroy(mtx_t *m) {
        pthread_mutex_destroy((pthread_mutex_t *)m);
}

int cnd_init(cnd_t *c) {
        return wt_thrd_err(pthread_cond_init((pthread_cond_t *)c, NULL));
}

int cnd_signal(cnd_t *c) {
        return wt_thrd_err(pthread_cond_signal((pthread_cond_t *)c));
}

int cnd_broadcast(cnd_t *c) {
        return wt_thrd_err(pthread_cond_broadcast((pthread_cond_t *)c));
}

int cnd_wait(cnd_t *c, mtx_t *m) {
        return wt_thrd_err(pthread_cond_wait((pthread_cond_t *)c,
                                             (pthread_mutex_t *)m));
}

int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
                  const struct timespec *restrict ts) {
        return wt_thrd_err(pthread_cond_timedwait((pthread_cond_t *)c,
                                                  (pthread_mutex_t *)m, ts));
}

void cnd_destroy(cnd_t *c) {
        pthread_cond_destroy((pthread_cond_t *)c);
}
