/*
 * wiretag - wt_tracker.c: what of one input partition may be committed.
 * See wt_tracker.h.
 *
 * The ring holds cap = window + 1 slots, indexed seq % cap; messages
 * [base_seq, next_seq) are in flight. The consumer thread admits a
 * message only while fewer than window are in flight, so the newest
 * never lands on the slot of the oldest unfinished one.
 */
#include "wt_tracker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

enum { WT_SLOT_PENDING = 0, WT_SLOT_DONE = 1, WT_SLOT_FAILED = 2 };

/* An input whose output to one topic the broker refused for good. */
typedef struct wt_poison {
        int64_t offset;
        const void *key;
        char why[256];
} wt_poison_t;

struct wt_tracker_s {
        pthread_mutex_t lock;
        wt_tracker_store_cb *store; /* NULL: exactly_once */
        void *opaque;
        uint64_t base_seq, next_seq; /* messages [base, next) in flight */
        size_t cap;
        int64_t *offsets;            /* ring, indexed seq % cap */
        uint8_t *state;              /* WT_SLOT_* */
        int revoked;
        int stuck;
        /* exactly_once: the offset to commit with the open transaction
         * (-1: none new) and how many inputs it covers; the offset the
         * last transaction committed and the first one ever admitted
         * (-1: none), which a rewind seeks back to. */
        int64_t txn_offset;
        uint64_t txn_count;
        int64_t committed_offset, first_offset;
        wt_poison_t *poison;
        size_t npoison, cappoison;
        atomic_int has_poison;
};

wt_tracker_t *wt_tracker_new(size_t window, wt_tracker_store_cb *store,
                             void *opaque) {
        wt_tracker_t *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->cap = window + 1;
        t->offsets = malloc(t->cap * sizeof(*t->offsets));
        t->state = calloc(t->cap, 1);
        if (!t->offsets || !t->state) {
                free(t->offsets);
                free(t->state);
                free(t);
                return NULL;
        }
        t->store = store;
        t->opaque = opaque;
        t->txn_offset = t->committed_offset = t->first_offset = -1;
        pthread_mutex_init(&t->lock, NULL);
        return t;
}

void wt_tracker_destroy(wt_tracker_t *t) {
        if (!t)
                return;
        pthread_mutex_destroy(&t->lock);
        free(t->poison);
        free(t->offsets);
        free(t->state);
        free(t);
}

uint64_t wt_tracker_admit(wt_tracker_t *t, int64_t offset) {
        uint64_t seq;
        pthread_mutex_lock(&t->lock);
        seq = t->next_seq++;
        t->offsets[seq % t->cap] = offset;
        if (t->first_offset < 0)
                t->first_offset = offset;
        t->state[seq % t->cap] = WT_SLOT_PENDING;
        pthread_mutex_unlock(&t->lock);
        return seq;
}

/* Caller holds t->lock. */
static uint8_t *wt_tracker_head(wt_tracker_t *t) {
        return t->base_seq < t->next_seq ? &t->state[t->base_seq % t->cap]
                                         : NULL;
}

int64_t wt_tracker_complete(wt_tracker_t *t, uint64_t seq, int failed) {
        int64_t store = -1, stuck_at = -1;
        uint64_t advanced = 0;
        uint8_t *head;

        pthread_mutex_lock(&t->lock);
        t->state[seq % t->cap] = failed ? WT_SLOT_FAILED : WT_SLOT_DONE;
        while ((head = wt_tracker_head(t)) && *head == WT_SLOT_DONE) {
                store = t->offsets[t->base_seq % t->cap] + 1;
                *head = WT_SLOT_PENDING;
                t->base_seq++;
                advanced++;
        }
        /* Hand on the finished prefix first: it is good even if a failed
         * message follows it. */
        if (store >= 0 && !t->revoked && !t->stuck) {
                if (t->store) {
                        t->store(t->opaque, store, advanced);
                } else {
                        t->txn_offset = store;
                        t->txn_count += advanced;
                }
        }
        if ((head = wt_tracker_head(t)) && *head == WT_SLOT_FAILED) {
                /* Nothing past a failed message may commit: on restart
                 * (or when the partition moves) it is processed again. */
                if (!t->stuck)
                        stuck_at = t->offsets[t->base_seq % t->cap];
                t->stuck = 1;
        }
        if (t->stuck) {
                /* Finished messages of a stuck partition (the failed one
                 * included) leave flight, but are never handed on;
                 * pending ones leave as they finish. */
                while ((head = wt_tracker_head(t)) &&
                       *head != WT_SLOT_PENDING) {
                        *head = WT_SLOT_PENDING;
                        t->base_seq++;
                }
        }
        pthread_mutex_unlock(&t->lock);
        return stuck_at;
}

/* A consistent view of t: what the small getters below return. */
typedef struct wt_tracker_view {
        uint64_t inflight;
        int stuck;
        int64_t txn_offset;
} wt_tracker_view_t;

/* Read t's state under its lock. Any thread. */
static wt_tracker_view_t wt_tracker_view(wt_tracker_t *t) {
        wt_tracker_view_t v;
        pthread_mutex_lock(&t->lock);
        v.inflight = t->next_seq - t->base_seq;
        v.stuck = t->stuck;
        v.txn_offset = t->txn_offset;
        pthread_mutex_unlock(&t->lock);
        return v;
}

uint64_t wt_tracker_inflight(wt_tracker_t *t) {
        return wt_tracker_view(t).inflight;
}

int wt_tracker_full(wt_tracker_t *t) {
        return wt_tracker_inflight(t) >= t->cap - 1;
}

int wt_tracker_stuck(wt_tracker_t *t) {
        return wt_tracker_view(t).stuck;
}

void wt_tracker_revoke(wt_tracker_t *t) {
        pthread_mutex_lock(&t->lock);
        t->revoked = 1;
        pthread_mutex_unlock(&t->lock);
}

int64_t wt_tracker_txn_offset(wt_tracker_t *t) {
        return wt_tracker_view(t).txn_offset;
}

uint64_t wt_tracker_txn_committed(wt_tracker_t *t) {
        uint64_t count = 0;
        pthread_mutex_lock(&t->lock);
        if (t->txn_offset >= 0) {
                t->committed_offset = t->txn_offset;
                t->txn_offset = -1;
                count = t->txn_count;
                t->txn_count = 0;
        }
        pthread_mutex_unlock(&t->lock);
        return count;
}

int64_t wt_tracker_rewind(wt_tracker_t *t) {
        int64_t to;
        pthread_mutex_lock(&t->lock);
        to = t->committed_offset >= 0 ? t->committed_offset : t->first_offset;
        while (t->base_seq < t->next_seq)
                t->state[t->base_seq++ % t->cap] = WT_SLOT_PENDING;
        t->stuck = 0;
        t->txn_offset = -1;
        t->txn_count = 0;
        pthread_mutex_unlock(&t->lock);
        return to;
}

void wt_tracker_poison(wt_tracker_t *t, int64_t offset, const void *key,
                       const char *why) {
        size_t i;
        pthread_mutex_lock(&t->lock);
        for (i = 0; i < t->npoison; i++)
                if (t->poison[i].offset == offset && t->poison[i].key == key)
                        break;
        if (i == t->npoison) {
                if (t->npoison == t->cappoison) {
                        size_t cap = t->cappoison ? t->cappoison * 2 : 8;
                        wt_poison_t *p = realloc(t->poison, cap * sizeof(*p));
                        if (!p) { /* the input is processed again, as if
                                   * the failure were transient */
                                pthread_mutex_unlock(&t->lock);
                                return;
                        }
                        t->poison = p;
                        t->cappoison = cap;
                }
                t->poison[i].offset = offset;
                t->poison[i].key = key;
                snprintf(t->poison[i].why, sizeof(t->poison[i].why), "%s",
                         why);
                t->npoison++;
                atomic_store(&t->has_poison, 1);
        }
        pthread_mutex_unlock(&t->lock);
}

int wt_tracker_poisoned(wt_tracker_t *t, int64_t offset, const void *key,
                        char *why, size_t size) {
        size_t i;
        int found = 0;
        if (!atomic_load(&t->has_poison))
                return 0;
        pthread_mutex_lock(&t->lock);
        for (i = 0; i < t->npoison && !found; i++)
                if (t->poison[i].offset == offset && t->poison[i].key == key) {
                        snprintf(why, size, "%s", t->poison[i].why);
                        found = 1;
                }
        pthread_mutex_unlock(&t->lock);
        return found;
}
