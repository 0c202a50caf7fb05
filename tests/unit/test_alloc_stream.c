/*
 * wiretag - test_alloc_stream.c: wt_stream_new() fails cleanly wherever
 * memory runs out.
 *
 * This program is linked with -Wl,--wrap=malloc,--wrap=calloc,
 * --wrap=realloc, so every allocation made by wiretag's own code (the
 * static libraries: the stream processor, and the model loader it calls)
 * goes through the wrappers below; librdkafka's, jansson's and libc's own
 * allocations (strdup) do not. The walk makes the Nth wrapped allocation
 * of wt_stream_new() fail, for N = 1, 2, ... until one call allocates
 * fewer than N times and succeeds, and checks each failure returns an
 * error, no stream, and a message a user can read. Leaks of a failed
 * call show under ASan (the sanitizer build runs this test too).
 *
 * wt_stream_new() checks that the configured topics exist, so the
 * configuration points at librdkafka's mock cluster (no real broker): the
 * walk goes through every step, the Kafka clients and the output topics
 * included, up to the workers' scratch space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "wt_config.h"
#include "wt_stream.h"
#include "wt_test.h"
#include "wt_test_wrap.h"

/* Armed only around the call under test: wrapped allocations are counted
 * and the fail_at-th one fails. */
static int armed;
static size_t calls, fail_at;

static int wt_alloc_fails(void) {
        return armed && ++calls == fail_at;
}

void *__wrap_malloc(size_t size) {
        return wt_alloc_fails() ? NULL : __real_malloc(size);
}
void *__wrap_calloc(size_t n, size_t size) {
        return wt_alloc_fails() ? NULL : __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t size) {
        return wt_alloc_fails() ? NULL : __real_realloc(p, size);
}

#define WALK_MAX 100000

static void cfg_set(wt_config_t *cfg, const char *key, const char *value) {
        char err[1024];
        if (wt_config_set(cfg, key, value, err, sizeof(err)) != WT_OK)
                fail_msg("wt_config_set %s=%s: %s", key, value, err);
}

static void test_stream_new_every_allocation_fails(void **state) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_mock_cluster_t *mc;
        rd_kafka_t *owner;
        wt_config_t cfg;
        char err[1024];
        size_t n, failures = 0, tolerated = 0;
        (void)state;

        /* A mock cluster with every topic the configuration names. */
        assert_int_equal(rd_kafka_conf_set(conf, "log_level", "3", err,
                                           sizeof(err)),
                         RD_KAFKA_CONF_OK);
        owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        assert_non_null(owner);
        mc = rd_kafka_mock_cluster_new(owner, 1);
        assert_non_null(mc);
        assert_int_equal(rd_kafka_mock_topic_create(mc, "alloc.in", 2, 1), 0);
        assert_int_equal(rd_kafka_mock_topic_create(mc, "alloc.out", 2, 1), 0);
        assert_int_equal(rd_kafka_mock_topic_create(mc, "alloc.dlq", 1, 1), 0);
        assert_int_equal(rd_kafka_mock_topic_create(mc, "alloc.none", 1, 1),
                         0);
        assert_int_equal(rd_kafka_mock_topic_create(mc, "alloc.beta", 1, 1),
                         0);

        /* Routes, an unlabeled topic, input.fields, metrics statistics:
         * every optional allocation of wt_stream_new() happens. */
        wt_config_init(&cfg);
        cfg_set(&cfg, "bootstrap.servers",
                rd_kafka_mock_cluster_bootstraps(mc));
        cfg_set(&cfg, "group.id", "alloc.group");
        cfg_set(&cfg, "input.topics", "alloc.in");
        cfg_set(&cfg, "input.fields", "title,text");
        cfg_set(&cfg, "output.topic", "alloc.out");
        cfg_set(&cfg, "output.topic.unlabeled", "alloc.none");
        cfg_set(&cfg, "dlq.topic", "alloc.dlq");
        cfg_set(&cfg, "route.beta", "alloc.beta");
        cfg_set(&cfg, "workers", "2");
        cfg_set(&cfg, "metrics.listen", "127.0.0.1:0");
        cfg_set(&cfg, "model.path", wt_test_fixture("model-v1.wtm"));
        cfg_set(&cfg, "log.level", "error");
        if (wt_config_finalize(&cfg, err, sizeof(err)) != WT_OK)
                fail_msg("wt_config_finalize: %s", err);

        for (n = 1; n < WALK_MAX; n++) {
                /* Not NULL: wt_stream_new must clear it on failure. */
                wt_stream_t *s = (wt_stream_t *)&cfg;
                char errstr[512];
                wt_err_t rc;

                memset(errstr, 0, sizeof(errstr));
                calls = 0;
                fail_at = n;
                armed = 1;
                rc = wt_stream_new(&cfg, &s, errstr, sizeof(errstr));
                armed = 0;
                if (calls < n) { /* nothing failed: the walk is done */
                        assert_int_equal(rc, WT_OK);
                        assert_non_null(s);
                        wt_stream_destroy(s);
                        break;
                }
                if (rc == WT_OK) { /* a failure it can do without */
                        assert_non_null(s);
                        wt_stream_destroy(s);
                        tolerated++;
                        continue;
                }
                assert_null(s);
                if (!errstr[0])
                        fail_msg("allocation %zu failed (error %s) with no "
                                 "message in errstr",
                                 n, wt_err_name(rc));
                failures++;
        }
        assert_true(n < WALK_MAX);
        /* The walk reached the workers: far more than a handful. */
        assert_true(failures >= 10);
        print_message("wt_stream_new: %zu allocation failures reported, "
                      "%zu done without\n",
                      failures, tolerated);

        wt_config_clear(&cfg);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(owner);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stream_new_every_allocation_fails),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
