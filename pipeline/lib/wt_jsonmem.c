/*
 * wiretag - wt_jsonmem.c: jansson's memory from a per-thread arena.
 */
#include "wt_jsonmem.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define WT_JSONMEM_DEFAULT (64 * 1024)
#define WT_JSONMEM_ALIGN 16

struct wt_jsonmem_arena {
        char *base;
        size_t cap;
        size_t used;
        size_t spilled; /* bytes that did not fit, while in use */
};

static _Thread_local wt_jsonmem_arena_t *wt_jsonmem_current;
static pthread_once_t wt_jsonmem_once = PTHREAD_ONCE_INIT;

static int wt_jsonmem_owns(const wt_jsonmem_arena_t *a, const void *p) {
        uintptr_t u = (uintptr_t)p, b = (uintptr_t)a->base;
        return u >= b && u < b + a->cap;
}

static void *wt_jsonmem_malloc(size_t n) {
        wt_jsonmem_arena_t *a = wt_jsonmem_current;
        if (a) {
                size_t need = (n + WT_JSONMEM_ALIGN - 1) &
                              ~(size_t)(WT_JSONMEM_ALIGN - 1);
                if (need >= n && a->cap - a->used >= need) {
                        void *p = a->base + a->used;
                        a->used += need;
                        return p;
                }
                a->spilled += need;
        }
        return malloc(n);
}

void wt_jsonmem_free(void *p) {
        wt_jsonmem_arena_t *a = wt_jsonmem_current;
        if (a && wt_jsonmem_owns(a, p))
                return; /* reclaimed, with the rest, at leave() */
        free(p);
}

static void wt_jsonmem_install_once(void) {
        json_set_alloc_funcs(wt_jsonmem_malloc, wt_jsonmem_free);
}

void wt_jsonmem_install(void) {
        pthread_once(&wt_jsonmem_once, wt_jsonmem_install_once);
}

wt_jsonmem_arena_t *wt_jsonmem_arena_new(size_t bytes) {
        wt_jsonmem_arena_t *a = calloc(1, sizeof(*a));
        if (!a)
                return NULL;
        a->cap = bytes ? bytes : WT_JSONMEM_DEFAULT;
        if (!(a->base = malloc(a->cap))) {
                free(a);
                return NULL;
        }
        return a;
}

void wt_jsonmem_arena_destroy(wt_jsonmem_arena_t *a) {
        if (!a)
                return;
        free(a->base);
        free(a);
}

void wt_jsonmem_enter(wt_jsonmem_arena_t *a) {
        wt_jsonmem_current = a;
}

void wt_jsonmem_leave(wt_jsonmem_arena_t *a) {
        wt_jsonmem_current = NULL;
        if (a->spilled) {
                /* Grow for next time; keep the old block if that fails. */
                size_t cap = 2 * (a->cap + a->spilled);
                char *p = malloc(cap);
                if (p) {
                        free(a->base);
                        a->base = p;
                        a->cap = cap;
                }
                a->spilled = 0;
        }
        a->used = 0;
}

size_t wt_jsonmem_arena_capacity(const wt_jsonmem_arena_t *a) {
        return a->cap;
}
