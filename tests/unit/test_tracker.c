/*
 * wiretag - test_tracker.c: what of an input partition may be committed
 * (wt_tracker), without Kafka.
 *
 * The tracker decides "nothing lost": an offset may be committed only
 * when every earlier message of its partition has been fully published.
 * Each case admits messages as the consumer thread does and completes
 * them as delivery reports would (out of order, several outputs per
 * message, some refused), and checks every offset the tracker hands on.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt_test.h"
#include "wt_tracker.h"

/* What the store callback (at_least_once) saw. */
typedef struct store_log {
        int64_t offsets[4096];
        uint64_t counts[4096];
        size_t n;
        uint64_t total;      /* sum of counts */
        int backwards;       /* an offset not above the one before it */
} store_log_t;

static void store_cb(void *opaque, int64_t offset, uint64_t count) {
        store_log_t *log = opaque;
        if (log->n && offset <= log->offsets[log->n - 1])
                log->backwards = 1;
        if (log->n < 4096) {
                log->offsets[log->n] = offset;
                log->counts[log->n] = count;
                log->n++;
        }
        log->total += count;
}

/* The last offset stored, or -1. */
static int64_t last_stored(const store_log_t *log) {
        return log->n ? log->offsets[log->n - 1] : -1;
}

/* Admit n messages at offsets first, first + 1, ...; seqs into seq. */
static void admit_n(wt_tracker_t *t, int64_t first, size_t n,
                    uint64_t *seq) {
        size_t i;
        for (i = 0; i < n; i++) {
                assert_false(wt_tracker_full(t));
                seq[i] = wt_tracker_admit(t, first + (int64_t)i);
        }
}

/* In order: each completion stores the offset after it. */
static void test_in_order(void **state) {
        store_log_t log = {0};
        wt_tracker_t *t = wt_tracker_new(8, store_cb, &log);
        uint64_t seq[5];
        size_t i;
        (void)state;

        assert_non_null(t);
        admit_n(t, 100, 5, seq);
        assert_int_equal(wt_tracker_inflight(t), 5);
        for (i = 0; i < 5; i++) {
                assert_int_equal(wt_tracker_complete(t, seq[i], 0), -1);
                assert_int_equal(last_stored(&log), 101 + (int64_t)i);
                assert_int_equal(log.counts[log.n - 1], 1);
        }
        assert_int_equal(wt_tracker_inflight(t), 0);
        assert_int_equal(log.total, 5);
        assert_int_equal(wt_tracker_txn_offset(t), -1); /* not exactly_once */
        wt_tracker_destroy(t);
        wt_tracker_destroy(NULL);
}

/* Messages with outputs to several topics (output.topic, a routed label's
 * topic, dlq.topic) whose acknowledgements arrive interleaved: a message
 * completes on its last acknowledgement, and nothing is stored past a
 * message that is not complete. */
static void test_out_of_order_several_topics(void **state) {
        store_log_t log = {0};
        wt_tracker_t *t = wt_tracker_new(16, store_cb, &log);
        /* outputs per message (1 to 3 topics) */
        int pending[6] = {3, 1, 2, 3, 1, 2};
        /* acknowledgements, by message, in the order the brokers of the
         * different topics sent them */
        static const int acks[] = {1, 4, 3, 5, 5, 3, 0, 2, 0, 0, 2, 3};
        /* the offset stored after each acknowledgement (-1: none) */
        static const int64_t expect[] = {-1, -1, -1, -1, -1,  -1,
                                         -1, -1, -1, 202, 203, 206};
        uint64_t seq[6];
        size_t i;
        (void)state;

        assert_non_null(t);
        admit_n(t, 200, 6, seq);
        for (i = 0; i < sizeof(acks) / sizeof(acks[0]); i++) {
                size_t before = log.n;
                int m = acks[i];
                assert_true(pending[m] > 0);
                if (--pending[m] == 0)
                        assert_int_equal(wt_tracker_complete(t, seq[m], 0),
                                         -1);
                if (expect[i] < 0) {
                        assert_int_equal(log.n, before);
                } else {
                        assert_int_equal(log.n, before + 1);
                        assert_int_equal(last_stored(&log), expect[i]);
                }
        }
        /* 202 covered 0..1, 203 covered 2, 206 covered 3..5 */
        assert_int_equal(log.n, 3);
        assert_int_equal(log.counts[0], 2);
        assert_int_equal(log.counts[1], 1);
        assert_int_equal(log.counts[2], 3);
        assert_int_equal(wt_tracker_inflight(t), 0);
        wt_tracker_destroy(t);
}

/* A refused output: the finished prefix before it is stored, nothing at
 * or past it ever is, it is reported once, and finished messages still
 * leave flight. */
static void test_failure_stops_commits(void **state) {
        store_log_t log = {0};
        wt_tracker_t *t = wt_tracker_new(8, store_cb, &log);
        uint64_t seq[6];
        (void)state;

        assert_non_null(t);
        admit_n(t, 10, 6, seq);
        assert_int_equal(wt_tracker_complete(t, seq[2], 1), -1); /* failed */
        assert_int_equal(wt_tracker_complete(t, seq[4], 0), -1);
        assert_int_equal(log.n, 0);
        assert_int_equal(wt_tracker_complete(t, seq[0], 0), -1);
        assert_int_equal(last_stored(&log), 11);
        assert_false(wt_tracker_stuck(t));
        /* 1 finishes the prefix up to the failed one: the prefix is
         * stored, then the partition is stuck at offset 12. */
        assert_int_equal(wt_tracker_complete(t, seq[1], 0), 12);
        assert_int_equal(last_stored(&log), 12);
        assert_int_equal(log.total, 2);
        assert_true(wt_tracker_stuck(t));
        /* 2 (failed) left flight; 3 is pending; 4, 5 wait behind it. */
        assert_int_equal(wt_tracker_inflight(t), 3);
        assert_int_equal(wt_tracker_complete(t, seq[3], 0), -1);
        assert_int_equal(wt_tracker_inflight(t), 1);
        assert_int_equal(wt_tracker_complete(t, seq[5], 0), -1);
        assert_int_equal(wt_tracker_inflight(t), 0);
        /* Later messages never commit either. */
        admit_n(t, 16, 1, seq);
        assert_int_equal(wt_tracker_complete(t, seq[0], 0), -1);
        assert_int_equal(last_stored(&log), 12);
        assert_int_equal(log.n, 2);
        assert_int_equal(wt_tracker_inflight(t), 0);
        wt_tracker_destroy(t);
}

/* The oldest message failing: nothing is stored at all. */
static void test_failure_at_head(void **state) {
        store_log_t log = {0};
        wt_tracker_t *t = wt_tracker_new(4, store_cb, &log);
        uint64_t seq[3];
        (void)state;

        assert_non_null(t);
        admit_n(t, 0, 3, seq);
        assert_int_equal(wt_tracker_complete(t, seq[1], 0), -1);
        assert_int_equal(wt_tracker_complete(t, seq[0], 1), 0);
        assert_int_equal(wt_tracker_complete(t, seq[2], 0), -1);
        assert_int_equal(log.n, 0);
        assert_int_equal(wt_tracker_inflight(t), 0);
        wt_tracker_destroy(t);
}

/* exactly_once's poison: remembered per (offset, output), found again
 * after a rewind, never duplicated, and its reason kept. */
static void test_poison(void **state) {
        wt_tracker_t *t = wt_tracker_new(4, NULL, NULL);
        int topic_a, topic_b;
        char why[64], longwhy[600];
        int64_t off;
        (void)state;

        assert_non_null(t);
        assert_int_equal(wt_tracker_poisoned(t, 5, &topic_a, why, sizeof(why)),
                         0);
        wt_tracker_poison(t, 5, &topic_a, "publishing to a: too large");
        wt_tracker_poison(t, 5, &topic_a, "again"); /* kept once, first why */
        assert_int_equal(wt_tracker_poisoned(t, 5, &topic_a, why, sizeof(why)),
                         1);
        assert_string_equal(why, "publishing to a: too large");
        assert_int_equal(wt_tracker_poisoned(t, 5, &topic_b, why, sizeof(why)),
                         0);
        assert_int_equal(wt_tracker_poisoned(t, 6, &topic_a, why, sizeof(why)),
                         0);
        /* Many: the list grows. */
        for (off = 100; off < 140; off++)
                wt_tracker_poison(t, off, (off & 1) ? &topic_a : &topic_b,
                                  "many");
        for (off = 100; off < 140; off++) {
                assert_int_equal(wt_tracker_poisoned(t, off,
                                                     (off & 1) ? &topic_a
                                                               : &topic_b,
                                                     why, sizeof(why)),
                                 1);
                assert_int_equal(wt_tracker_poisoned(t, off,
                                                     (off & 1) ? &topic_b
                                                               : &topic_a,
                                                     why, sizeof(why)),
                                 0);
        }
        /* A long reason is cut, never overflowed; a small buffer too. */
        memset(longwhy, 'x', sizeof(longwhy) - 1);
        longwhy[sizeof(longwhy) - 1] = '\0';
        wt_tracker_poison(t, 7, &topic_b, longwhy);
        assert_int_equal(wt_tracker_poisoned(t, 7, &topic_b, why, 8), 1);
        assert_string_equal(why, "xxxxxxx");
        /* Poison survives a rewind (the input comes again). */
        (void)wt_tracker_rewind(t);
        assert_int_equal(wt_tracker_poisoned(t, 5, &topic_a, why, sizeof(why)),
                         1);
        wt_tracker_destroy(t);
}

/* Window full: the consumer thread pauses the partition and holds what it
 * consumes; the window has room again only when the oldest message
 * leaves, not when a later one finishes. */
static void test_window_full_pause_resume(void **state) {
        store_log_t log = {0};
        wt_tracker_t *t = wt_tracker_new(4, store_cb, &log);
        uint64_t seq[4], more;
        (void)state;

        assert_non_null(t);
        admit_n(t, 0, 4, seq);
        assert_true(wt_tracker_full(t)); /* pause */
        assert_int_equal(wt_tracker_complete(t, seq[3], 0), -1);
        assert_int_equal(wt_tracker_complete(t, seq[1], 0), -1);
        assert_true(wt_tracker_full(t)); /* the oldest is still pending */
        assert_int_equal(log.n, 0);
        assert_int_equal(wt_tracker_complete(t, seq[0], 0), -1);
        assert_false(wt_tracker_full(t)); /* resume */
        assert_int_equal(wt_tracker_inflight(t), 2);
        assert_int_equal(last_stored(&log), 2);
        /* The held messages are admitted again, up to the window. */
        more = wt_tracker_admit(t, 4);
        assert_false(wt_tracker_full(t));
        (void)wt_tracker_admit(t, 5);
        assert_true(wt_tracker_full(t));
        assert_int_equal(wt_tracker_complete(t, seq[2], 0), -1);
        assert_int_equal(last_stored(&log), 4);
        assert_int_equal(wt_tracker_complete(t, more, 0), -1);
        assert_int_equal(last_stored(&log), 5);
        assert_int_equal(wt_tracker_inflight(t), 1);
        wt_tracker_destroy(t);
}

/* Revoked with messages in flight: nothing more is stored (the next
 * owner starts from the last commit), but they still leave flight so
 * that revocation and shutdown do not wait for them. */
static void test_revoke_mid_window(void **state) {
        store_log_t log = {0};
        wt_tracker_t *t = wt_tracker_new(8, store_cb, &log);
        uint64_t seq[5];
        (void)state;

        assert_non_null(t);
        admit_n(t, 50, 5, seq);
        assert_int_equal(wt_tracker_complete(t, seq[0], 0), -1);
        assert_int_equal(wt_tracker_complete(t, seq[2], 0), -1);
        assert_int_equal(last_stored(&log), 51);
        wt_tracker_revoke(t);
        assert_int_equal(wt_tracker_complete(t, seq[1], 0), -1);
        assert_int_equal(wt_tracker_inflight(t), 2);
        /* A refusal still says where (the log line), and leaves. */
        assert_int_equal(wt_tracker_complete(t, seq[4], 1), -1);
        assert_int_equal(wt_tracker_complete(t, seq[3], 0), 54);
        assert_int_equal(wt_tracker_inflight(t), 0);
        assert_int_equal(log.n, 1);
        assert_int_equal(last_stored(&log), 51);
        wt_tracker_destroy(t);
}

/* Many times round a small ring, completing within the window in a
 * shuffled order: every stored offset is above the one before, the last
 * is right after the last message, and every message is counted once. */
static void test_ring_wraps(void **state) {
        enum { WINDOW = 3, N = 3000 };
        store_log_t *log = calloc(1, sizeof(*log));
        wt_tracker_t *t;
        uint64_t rng = 42, seq[WINDOW];
        int64_t next = 1000;
        size_t done = 0;
        (void)state;

        assert_non_null(log);
        t = wt_tracker_new(WINDOW, store_cb, log);
        assert_non_null(t);
        while (done < N) {
                size_t n = 0, i;
                /* Fill the window, then finish it in a random order. */
                while (!wt_tracker_full(t) && done + n < N)
                        seq[n++] = wt_tracker_admit(t, next++);
                for (i = n; i > 1; i--) { /* Fisher-Yates */
                        size_t j = (size_t)(wt_test_rand(&rng) % i);
                        uint64_t tmp = seq[i - 1];
                        seq[i - 1] = seq[j];
                        seq[j] = tmp;
                }
                for (i = 0; i < n; i++)
                        assert_int_equal(wt_tracker_complete(t, seq[i], 0),
                                         -1);
                assert_int_equal(wt_tracker_inflight(t), 0);
                assert_int_equal(last_stored(log), next);
                done += n;
        }
        assert_false(log->backwards);
        assert_int_equal(log->total, N);
        assert_int_equal(last_stored(log), 1000 + N);
        wt_tracker_destroy(t);
        free(log);
}

/* A sliding window: the oldest message is always the slowest; the ring
 * wraps while messages are in flight, and no live slot is overwritten. */
static void test_ring_wraps_sliding(void **state) {
        enum { WINDOW = 5, N = 1000 };
        store_log_t *log = calloc(1, sizeof(*log));
        wt_tracker_t *t;
        uint64_t seqs[N];
        size_t admitted = 0, completed = 0;
        (void)state;

        assert_non_null(log);
        t = wt_tracker_new(WINDOW, store_cb, log);
        assert_non_null(t);
        /* Keep the window full; complete the second-oldest first, then
         * the oldest, so the prefix grows by two at a time. */
        while (completed < N) {
                while (admitted < N && !wt_tracker_full(t)) {
                        seqs[admitted] = wt_tracker_admit(
                                t, (int64_t)admitted);
                        admitted++;
                }
                if (completed + 1 < admitted) {
                        size_t before = log->n;
                        (void)wt_tracker_complete(t, seqs[completed + 1], 0);
                        assert_int_equal(log->n, before); /* blocked */
                        (void)wt_tracker_complete(t, seqs[completed], 0);
                        completed += 2;
                } else {
                        (void)wt_tracker_complete(t, seqs[completed], 0);
                        completed++;
                }
                assert_int_equal(last_stored(log), (int64_t)completed);
        }
        assert_false(log->backwards);
        assert_int_equal(log->total, N);
        wt_tracker_destroy(t);
        free(log);
}

/* exactly_once: the prefix waits for the transaction; a commit hands it
 * over once; an abort rewinds to the last committed offset (or to the
 * first admitted one, before any commit) and unsticks the partition. */
static void test_txn_commit_and_rewind(void **state) {
        wt_tracker_t *t = wt_tracker_new(8, NULL, NULL);
        uint64_t seq[4];
        (void)state;

        assert_non_null(t);
        assert_int_equal(wt_tracker_rewind(t), -1); /* nothing admitted */
        admit_n(t, 70, 4, seq);
        assert_int_equal(wt_tracker_complete(t, seq[1], 0), -1);
        assert_int_equal(wt_tracker_txn_offset(t), -1);
        assert_int_equal(wt_tracker_complete(t, seq[0], 0), -1);
        assert_int_equal(wt_tracker_txn_offset(t), 72);
        /* An abort before any commit: back to the first offset. */
        assert_int_equal(wt_tracker_rewind(t), 70);
        assert_int_equal(wt_tracker_txn_offset(t), -1);
        assert_int_equal(wt_tracker_inflight(t), 0);
        assert_int_equal(wt_tracker_txn_committed(t), 0);

        /* Consumed again from 70. */
        admit_n(t, 70, 4, seq);
        assert_int_equal(wt_tracker_complete(t, seq[0], 0), -1);
        assert_int_equal(wt_tracker_complete(t, seq[1], 0), -1);
        assert_int_equal(wt_tracker_complete(t, seq[2], 0), -1);
        assert_int_equal(wt_tracker_txn_offset(t), 73);
        assert_int_equal(wt_tracker_txn_committed(t), 3);
        assert_int_equal(wt_tracker_txn_offset(t), -1);
        assert_int_equal(wt_tracker_txn_committed(t), 0); /* once */

        /* A failure inside the next transaction: stuck, quietly (no
         * store), until the abort rewinds to the committed 73. */
        assert_int_equal(wt_tracker_complete(t, seq[3], 1), 73);
        assert_true(wt_tracker_stuck(t));
        assert_int_equal(wt_tracker_txn_offset(t), -1);
        assert_int_equal(wt_tracker_rewind(t), 73);
        assert_false(wt_tracker_stuck(t));
        admit_n(t, 73, 1, seq);
        assert_int_equal(wt_tracker_complete(t, seq[0], 0), -1);
        assert_int_equal(wt_tracker_txn_offset(t), 74);
        assert_int_equal(wt_tracker_txn_committed(t), 1);
        wt_tracker_destroy(t);
}

/* An abort with messages not yet finished (the stream waits for their
 * purged delivery reports first): they are forgotten, the window is
 * empty, and consuming starts again at the first offset. */
static void test_txn_rewind_in_flight(void **state) {
        wt_tracker_t *t = wt_tracker_new(4, NULL, NULL);
        uint64_t seq[3], again;
        (void)state;

        assert_non_null(t);
        admit_n(t, 0, 3, seq);
        assert_int_equal(wt_tracker_complete(t, seq[0], 0), -1);
        assert_int_equal(wt_tracker_rewind(t), 0);
        assert_int_equal(wt_tracker_inflight(t), 0);
        assert_false(wt_tracker_full(t));
        again = wt_tracker_admit(t, 0);
        assert_int_equal(wt_tracker_complete(t, again, 0), -1);
        assert_int_equal(wt_tracker_txn_offset(t), 1);
        wt_tracker_destroy(t);
}

/* Completions from several threads (workers and the delivery thread):
 * stored offsets never go backwards and every message counts once. */
typedef struct racer {
        wt_tracker_t *t;
        const uint64_t *seq;
        size_t from, n, step;
} racer_t;

static void *racer_main(void *arg) {
        racer_t *r = arg;
        size_t i;
        for (i = r->from; i < r->n; i += r->step)
                (void)wt_tracker_complete(r->t, r->seq[i], 0);
        return NULL;
}

static void test_concurrent_completions(void **state) {
        enum { N = 2000, THREADS = 4 };
        store_log_t *log = calloc(1, sizeof(*log));
        uint64_t *seq = calloc(N, sizeof(*seq));
        pthread_t th[THREADS];
        racer_t r[THREADS];
        wt_tracker_t *t;
        size_t i;
        (void)state;

        assert_non_null(log);
        assert_non_null(seq);
        t = wt_tracker_new(N, store_cb, log);
        assert_non_null(t);
        admit_n(t, 0, N, seq);
        for (i = 0; i < THREADS; i++) {
                r[i] = (racer_t){t, seq, i, N, THREADS};
                assert_int_equal(pthread_create(&th[i], NULL, racer_main,
                                                &r[i]),
                                 0);
        }
        for (i = 0; i < THREADS; i++)
                pthread_join(th[i], NULL);
        assert_false(log->backwards);
        assert_int_equal(log->total, N);
        assert_int_equal(last_stored(log), N);
        assert_int_equal(wt_tracker_inflight(t), 0);
        wt_tracker_destroy(t);
        free(seq);
        free(log);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_in_order),
                cmocka_unit_test(test_out_of_order_several_topics),
                cmocka_unit_test(test_failure_stops_commits),
                cmocka_unit_test(test_failure_at_head),
                cmocka_unit_test(test_poison),
                cmocka_unit_test(test_window_full_pause_resume),
                cmocka_unit_test(test_revoke_mid_window),
                cmocka_unit_test(test_ring_wraps),
                cmocka_unit_test(test_ring_wraps_sliding),
                cmocka_unit_test(test_txn_commit_and_rewind),
                cmocka_unit_test(test_txn_rewind_in_flight),
                cmocka_unit_test(test_concurrent_completions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
