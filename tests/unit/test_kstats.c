/*
 * wiretag - test_kstats.c: unit tests for wt_kstats (librdkafka's
 * statistics on /metrics): the samples a consumer's and a producer's
 * document render to, line for line; a newer document replacing an
 * older one after a rebalance; documents refused whole; label escaping;
 * jansson's memory; and updates racing scrapes (run under ASan or TSan).
 *
 * The documents follow librdkafka 2.0's STATISTICS.md (its example
 * output, trimmed), with wiretag's topics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "wt_jsonmem.h"
#include "wt_kstats.h"
#include "wt_test.h"

/* ------------------------------------------------------------ documents */

/* A window of STATISTICS.md's "Window stats". */
#define WINDOW(min, max, avg, p50, p95, p99, cnt)                             \
        "{ \"min\":" #min ", \"max\":" #max ", \"avg\":" #avg                 \
        ", \"sum\":0, \"stddev\": 0, \"p50\": " #p50 ", \"p75\": " #p50       \
        ", \"p90\": " #p95 ", \"p95\": " #p95 ", \"p99\": " #p99              \
        ", \"p99_99\": " #p99 ", \"outofrange\": 0, \"hdrsize\": 11376"       \
        ", \"cnt\":" #cnt " }"

#define BROKER(name, nodeid, source, state)                                   \
        "\"" name "\": { \"name\":\"" name "\", \"nodeid\":" #nodeid          \
        ", \"nodename\":\"localhost:9092\", \"source\":\"" source             \
        "\", \"state\":\"" state "\", \"stateage\":9057234, "                 \
        "\"outbuf_cnt\":0, \"tx\":320, \"txbytes\":84283332, \"txerrs\":0, "  \
        "\"rx\":320, \"rxbytes\":15708, \"rtt\": " WINDOW(                    \
                1580, 3389, 2349, 2319, 3199, 3391, 34) ", \"toppars\":{} }"

/* A consumer's partition. */
#define CPART(p, desired, state, committed, lag, lag_stored)                  \
        "\"" #p "\": { \"partition\":" #p ", \"broker\":1, \"leader\":1, "    \
        "\"desired\":" #desired ", \"unknown\":false, \"msgq_cnt\":0, "       \
        "\"msgq_bytes\":0, \"xmit_msgq_cnt\":0, \"xmit_msgq_bytes\":0, "      \
        "\"fetchq_cnt\":3, \"fetchq_size\":4096, \"fetch_state\":\"" state    \
        "\", \"query_offset\":-1001, \"next_offset\":1100, "                  \
        "\"app_offset\":1050, \"stored_offset\":1040, "                       \
        "\"commited_offset\":" #committed ", \"committed_offset\":" #committed \
        ", \"eof_offset\":-1001, \"lo_offset\":0, \"hi_offset\":1042, "       \
        "\"ls_offset\":1042, \"consumer_lag\":" #lag                          \
        ", \"consumer_lag_stored\":" #lag_stored ", \"txmsgs\":0, "           \
        "\"txbytes\":0, \"rxmsgs\":1100, \"rxbytes\":2200000, "               \
        "\"msgs\":1100, \"rx_ver_drops\":0, \"msgs_inflight\":0, "            \
        "\"next_ack_seq\":0, \"next_err_seq\":0, \"acked_msgid\":0 }"

/* A producer's partition. */
#define PPART(p, txmsgs, txbytes)                                             \
        "\"" #p "\": { \"partition\":" #p ", \"broker\":1, \"leader\":1, "    \
        "\"desired\":false, \"unknown\":false, \"msgq_cnt\":1, "              \
        "\"msgq_bytes\":31, \"fetch_state\":\"none\", "                       \
        "\"query_offset\":0, \"next_offset\":0, \"app_offset\":-1001, "       \
        "\"stored_offset\":-1001, \"committed_offset\":-1001, "               \
        "\"eof_offset\":-1001, \"lo_offset\":-1001, \"hi_offset\":-1001, "    \
        "\"ls_offset\":-1001, \"consumer_lag\":-1, "                          \
        "\"consumer_lag_stored\":-1, \"txmsgs\":" #txmsgs                     \
        ", \"txbytes\":" #txbytes ", \"rxmsgs\":0, \"rxbytes\":0, "           \
        "\"msgs\":2160510, \"rx_ver_drops\":0, \"msgs_inflight\":0 }"

#define TOPIC(name, batchsize, batchcnt, parts)                               \
        "\"" name "\": { \"topic\":\"" name "\", \"age\":9060, "              \
        "\"metadata_age\":9060, \"batchsize\": " batchsize                    \
        ", \"batchcnt\": " batchcnt ", \"partitions\":{ " parts " } }"

#define HEAD(type, name, time, replyq, msg_cnt, msg_size)                     \
        "{ \"name\": \"" name "\", \"client_id\": \"wiretag\", "              \
        "\"type\": \"" type "\", \"ts\":5016483227792, \"time\":" #time       \
        ", \"age\":9060000, \"replyq\":" #replyq ", \"msg_cnt\":" #msg_cnt    \
        ", \"msg_size\":" #msg_size ", \"msg_max\":100000, "                  \
        "\"msg_size_max\":1073741824, \"simple_cnt\":0, "                     \
        "\"metadata_cache_cnt\":2, "

#define NOWINDOW WINDOW(0, 0, 0, 0, 0, 0, 0)

/* The consumer of articles and wires: partitions revoked earlier (state
 * none) and the UnAssigned partition -1 must not show; neither must
 * partitions whose lag and committed offset are both unknown. */
static const char consumer1[] =
        HEAD("consumer", "rdkafka#consumer-1", 1700000000, 0, 0, 0)
        "\"brokers\": { "
        BROKER("localhost:9092/bootstrap", -1, "configured", "UP") ", "
        BROKER("GroupCoordinator", -1, "logical", "UP") ", "
        BROKER("localhost:9092/1", 1, "learned", "UP") ", "
        BROKER("localhost:9093/2", 2, "learned", "DOWN") " }, "
        "\"topics\": { "
        TOPIC("articles", WINDOW(10, 900, 400, 380, 850, 890, 12),
              WINDOW(1, 9, 4, 4, 8, 9, 12),
              CPART(0, false, "active", 1000, 42, 2) ", "
              CPART(1, false, "active", 500, 0, 0) ", "
              CPART(10, false, "active", 300, 8, 1) ", "
              CPART(2, false, "active", 9, 5, 5) ", "
              CPART(3, false, "none", 70, 7, 7) ", "
              CPART(4, false, "active", 77, -1, -1) ", "
              CPART(-1, false, "none", -1001, -1, -1)) ", "
        TOPIC("wires", NOWINDOW, NOWINDOW,
              CPART(0, true, "offset-query", -1001, -1, -1) ", "
              CPART(3, false, "active", 3, 7, 6))
        " }, "
        "\"cgrp\": { \"state\": \"up\", \"stateage\": 9000, "
        "\"join_state\": \"steady\", \"rebalance_age\": 9000, "
        "\"rebalance_cnt\": 1, \"rebalance_reason\": \"\", "
        "\"assignment_size\": 7 }, "
        "\"tx\":631, \"tx_bytes\":168584479, \"rx\":631, \"rx_bytes\":31084, "
        "\"txmsgs\":0, \"txmsg_bytes\":0, \"rxmsgs\":4400, "
        "\"rxmsg_bytes\":8800000 }";

/* After a rebalance: articles [1] revoked (gone from the document),
 * [2] stopping, wires no longer subscribed. */
static const char consumer2[] =
        HEAD("consumer", "rdkafka#consumer-1", 1700000060, 2, 0, 0)
        "\"brokers\": { "
        BROKER("localhost:9092/1", 1, "learned", "UP") ", "
        BROKER("localhost:9093/2", 2, "learned", "UP") " }, "
        "\"topics\": { "
        TOPIC("articles", NOWINDOW, NOWINDOW,
              CPART(0, false, "active", 1002, 40, 0) ", "
              CPART(2, false, "stopping", 9, 5, 5))
        " } }";

/* The producer: labeled carries traffic (txmsgs of -1 must not count),
 * dlq sent nothing this interval. */
static const char producer1[] =
        HEAD("producer", "rdkafka#producer-2", 1700000001, 3, 12, 3456)
        "\"brokers\": { "
        BROKER("localhost:9092/bootstrap", -1, "configured", "INIT") ", "
        BROKER("localhost:9092/1", 1, "learned", "UP") ", "
        BROKER("localhost:9093/2", 2, "learned", "UP") " }, "
        "\"topics\": { "
        TOPIC("labeled",
              WINDOW(99, 401000, 272593, 262143, 393215, 401407, 69),
              WINDOW(1, 10000, 6956, 8191, 9983, 10047, 69),
              PPART(0, 2150617, 66669127) ", "
              PPART(1, 2150136, 66654216) ", "
              PPART(-1, 5, 500)) ", "
        TOPIC("dlq", NOWINDOW, NOWINDOW, PPART(0, 3, 300))
        " }, "
        "\"eos\": { \"idemp_state\": \"Assigned\", \"idemp_stateage\": 9000, "
        "\"producer_id\": 1000, \"producer_epoch\": 0, \"epoch_cnt\": 1 }, "
        "\"tx\":631, \"tx_bytes\":168584479, \"rx\":631, \"rx_bytes\":31084, "
        "\"txmsgs\":4300756, \"txmsg_bytes\":133323643, \"rxmsgs\":0, "
        "\"rxmsg_bytes\":0 }";

/* The samples (lines without '#') consumer1 and producer1 render to. */
#define CLIENT_SAMPLES(ts_c, rq_c, br_c, up_c)                                \
        "wiretag_kafka_stats_timestamp_seconds{client=\"consumer\"} " ts_c    \
        "\n"                                                                  \
        "wiretag_kafka_stats_timestamp_seconds{client=\"producer\"} "         \
        "1700000001\n"                                                        \
        "wiretag_kafka_replyq{client=\"consumer\"} " rq_c "\n"                \
        "wiretag_kafka_replyq{client=\"producer\"} 3\n"                       \
        "wiretag_kafka_brokers{client=\"consumer\"} " br_c "\n"               \
        "wiretag_kafka_brokers{client=\"producer\"} 2\n"                      \
        "wiretag_kafka_brokers_up{client=\"consumer\"} " up_c "\n"            \
        "wiretag_kafka_brokers_up{client=\"producer\"} 2\n"                   \
        "wiretag_producer_queue_messages 12\n"                                \
        "wiretag_producer_queue_bytes 3456\n"

#define PRODUCER_SAMPLES                                                      \
        "wiretag_producer_records_sent_total{topic=\"dlq\"} 3\n"             \
        "wiretag_producer_records_sent_total{topic=\"labeled\"} 4300753\n"   \
        "wiretag_producer_bytes_sent_total{topic=\"dlq\"} 300\n"             \
        "wiretag_producer_bytes_sent_total{topic=\"labeled\"} 133323343\n"   \
        "wiretag_producer_batches{topic=\"dlq\"} 0\n"                         \
        "wiretag_producer_batches{topic=\"labeled\"} 69\n"                    \
        "wiretag_producer_batch_bytes{topic=\"labeled\",stat=\"min\"} 99\n"   \
        "wiretag_producer_batch_bytes{topic=\"labeled\",stat=\"max\"} "       \
        "401000\n"                                                            \
        "wiretag_producer_batch_bytes{topic=\"labeled\",stat=\"avg\"} "       \
        "272593\n"                                                            \
        "wiretag_producer_batch_bytes{topic=\"labeled\",stat=\"p50\"} "       \
        "262143\n"                                                            \
        "wiretag_producer_batch_bytes{topic=\"labeled\",stat=\"p95\"} "       \
        "393215\n"                                                            \
        "wiretag_producer_batch_bytes{topic=\"labeled\",stat=\"p99\"} "       \
        "401407\n"                                                            \
        "wiretag_producer_batch_messages{topic=\"labeled\",stat=\"min\"} 1\n" \
        "wiretag_producer_batch_messages{topic=\"labeled\",stat=\"max\"} "    \
        "10000\n"                                                             \
        "wiretag_producer_batch_messages{topic=\"labeled\",stat=\"avg\"} "    \
        "6956\n"                                                              \
        "wiretag_producer_batch_messages{topic=\"labeled\",stat=\"p50\"} "    \
        "8191\n"                                                              \
        "wiretag_producer_batch_messages{topic=\"labeled\",stat=\"p95\"} "    \
        "9983\n"                                                              \
        "wiretag_producer_batch_messages{topic=\"labeled\",stat=\"p99\"} "    \
        "10047\n"

static const char samples1[] =
        CLIENT_SAMPLES("1700000000", "0", "2", "1")
        "wiretag_consumer_lag_messages{topic=\"articles\",partition=\"0\"} "
        "42\n"
        "wiretag_consumer_lag_messages{topic=\"articles\",partition=\"1\"} "
        "0\n"
        "wiretag_consumer_lag_messages{topic=\"articles\",partition=\"2\"} "
        "5\n"
        "wiretag_consumer_lag_messages{topic=\"articles\",partition=\"10\"} "
        "8\n"
        "wiretag_consumer_lag_messages{topic=\"wires\",partition=\"3\"} 7\n"
        "wiretag_consumer_committed_offset{topic=\"articles\","
        "partition=\"0\"} 1000\n"
        "wiretag_consumer_committed_offset{topic=\"articles\","
        "partition=\"1\"} 500\n"
        "wiretag_consumer_committed_offset{topic=\"articles\","
        "partition=\"2\"} 9\n"
        "wiretag_consumer_committed_offset{topic=\"articles\","
        "partition=\"4\"} 77\n"
        "wiretag_consumer_committed_offset{topic=\"articles\","
        "partition=\"10\"} 300\n"
        "wiretag_consumer_committed_offset{topic=\"wires\","
        "partition=\"3\"} 3\n"
        PRODUCER_SAMPLES;

static const char samples2[] =
        CLIENT_SAMPLES("1700000060", "2", "2", "2")
        "wiretag_consumer_lag_messages{topic=\"articles\",partition=\"0\"} "
        "40\n"
        "wiretag_consumer_committed_offset{topic=\"articles\","
        "partition=\"0\"} 1002\n"
        PRODUCER_SAMPLES;

/* The families, with their types: each HELP and TYPE exactly once. */
static const char *const families[][2] = {
        {"wiretag_kafka_stats_timestamp_seconds", "gauge"},
        {"wiretag_kafka_replyq", "gauge"},
        {"wiretag_kafka_brokers", "gauge"},
        {"wiretag_kafka_brokers_up", "gauge"},
        {"wiretag_producer_queue_messages", "gauge"},
        {"wiretag_producer_queue_bytes", "gauge"},
        {"wiretag_consumer_lag_messages", "gauge"},
        {"wiretag_consumer_committed_offset", "gauge"},
        {"wiretag_producer_records_sent_total", "counter"},
        {"wiretag_producer_bytes_sent_total", "counter"},
        {"wiretag_producer_batches", "gauge"},
        {"wiretag_producer_batch_bytes", "gauge"},
        {"wiretag_producer_batch_messages", "gauge"},
};

/* -------------------------------------------------------------- helpers */

typedef struct text {
        char *buf;
        size_t len;
        unsigned calls;
} text_t;

static void collect(void *opaque, const char *s, size_t len) {
        text_t *t = opaque;
        char *p = realloc(t->buf, t->len + len + 1);
        assert_non_null(p);
        assert_true(len > 0);
        assert_int_equal(s[len - 1], '\n'); /* whole lines only */
        memcpy(p + t->len, s, len);
        t->buf = p;
        t->len += len;
        t->buf[t->len] = '\0';
        t->calls++;
}

/* Everything ks renders, as a string the caller frees. */
static char *render(wt_kstats_t *ks) {
        text_t t = {NULL, 0, 0};
        wt_kstats_render(ks, collect, &t);
        if (!t.buf)
                t.buf = calloc(1, 1);
        assert_non_null(t.buf);
        return t.buf;
}

/* The lines of text that do not start with '#', in order. */
static char *samples(const char *text) {
        char *out = calloc(1, strlen(text) + 1), *o = out;
        const char *line = text;
        assert_non_null(out);
        while (*line) {
                const char *nl = strchr(line, '\n');
                size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
                if (*line != '#') {
                        memcpy(o, line, n);
                        o += n;
                }
                line += n;
        }
        *o = '\0';
        return out;
}

/* How many whole lines of text equal line. */
static unsigned count_line(const char *text, const char *line) {
        size_t n = strlen(line);
        unsigned k = 0;
        const char *p = text;
        while ((p = strstr(p, line))) {
                if ((p == text || p[-1] == '\n') && p[n] == '\n')
                        k++;
                p += n;
        }
        return k;
}

static void update_ok(wt_kstats_t *ks, wt_kstats_role_t role,
                      const char *json) {
        char err[512] = "";
        /* An exact-size copy without a NUL: ASan sees any read past len. */
        size_t len = strlen(json);
        char *copy = wt_test_dup_exact(json, len);
        wt_err_t e = wt_kstats_update(ks, role, copy, len, err, sizeof(err));
        free(copy);
        if (e != WT_OK)
                fail_msg("update refused: %s", err);
}

static void assert_samples(wt_kstats_t *ks, const char *want) {
        char *text = render(ks), *got = samples(text);
        size_t f;
        char line[256];
        assert_string_equal(got, want);
        for (f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
                snprintf(line, sizeof(line), "# TYPE %s %s", families[f][0],
                         families[f][1]);
                assert_int_equal(count_line(text, line), 1);
                snprintf(line, sizeof(line), "# HELP %s ", families[f][0]);
                assert_non_null(strstr(text, line));
        }
        free(got);
        free(text);
}

/* ---------------------------------------------------------------- tests */

static void test_empty(void **state) {
        wt_kstats_t *ks = wt_kstats_new();
        text_t t = {NULL, 0, 0};
        (void)state;
        assert_non_null(ks);
        wt_kstats_render(ks, collect, &t);
        assert_int_equal(t.calls, 0);
        assert_null(t.buf);
        wt_kstats_destroy(ks);
        wt_kstats_destroy(NULL);
}

static void test_documents(void **state) {
        wt_kstats_t *ks = wt_kstats_new();
        (void)state;
        assert_non_null(ks);
        update_ok(ks, WT_KSTATS_CONSUMER, consumer1);
        update_ok(ks, WT_KSTATS_PRODUCER, producer1);
        assert_samples(ks, samples1);
        wt_kstats_destroy(ks);
}

/* Only the producer has reported: no consumer samples, and families
 * without samples carry no HELP or TYPE either. */
static void test_one_client(void **state) {
        wt_kstats_t *ks = wt_kstats_new();
        char *text;
        (void)state;
        assert_non_null(ks);
        update_ok(ks, WT_KSTATS_PRODUCER, producer1);
        text = render(ks);
        assert_null(strstr(text, "consumer"));
        /* A consumer before its first assignment: no partitions yet. */
        update_ok(ks, WT_KSTATS_CONSUMER,
                  "{\"type\":\"consumer\",\"time\":5,\"topics\":{}}");
        free(text);
        text = render(ks);
        assert_int_equal(count_line(text, "wiretag_kafka_stats_timestamp_"
                                          "seconds{client=\"consumer\"} 5"),
                         1);
        assert_null(strstr(text, "wiretag_consumer_lag_messages"));
        assert_int_equal(count_line(text, "wiretag_kafka_replyq{client="
                                          "\"producer\"} 3"),
                         1);
        assert_int_equal(count_line(text, "wiretag_producer_records_sent_"
                                          "total{topic=\"labeled\"} 4300753"),
                         1);
        free(text);
        wt_kstats_destroy(ks);
}

static void test_replace(void **state) {
        wt_kstats_t *ks = wt_kstats_new();
        (void)state;
        assert_non_null(ks);
        update_ok(ks, WT_KSTATS_CONSUMER, consumer1);
        update_ok(ks, WT_KSTATS_PRODUCER, producer1);
        update_ok(ks, WT_KSTATS_CONSUMER, consumer2);
        assert_samples(ks, samples2);
        /* And back: nothing of the older document lingers either way. */
        update_ok(ks, WT_KSTATS_CONSUMER, consumer1);
        assert_samples(ks, samples1);
        wt_kstats_destroy(ks);
}

static void test_refused(void **state) {
        static const struct {
                wt_kstats_role_t role;
                const char *json;
                wt_err_t err;
                const char *msg;
        } cases[] = {
                {WT_KSTATS_CONSUMER, "{\"type\": \"consumer\", \"topics\": {",
                 WT_ERR_JSON, "not JSON"},
                {WT_KSTATS_CONSUMER, "", WT_ERR_JSON, "not JSON"},
                {WT_KSTATS_PRODUCER, "{\"time\": 1} trailing", WT_ERR_JSON,
                 "not JSON"},
                {WT_KSTATS_PRODUCER, "[1, 2]", WT_ERR_NOT_OBJECT,
                 "not a JSON object"},
                {WT_KSTATS_CONSUMER, producer1, WT_ERR_INVALID_ARG,
                 "of a producer given as the consumer's"},
                {WT_KSTATS_PRODUCER, consumer2, WT_ERR_INVALID_ARG,
                 "of a consumer given as the producer's"},
                {WT_KSTATS__CNT, consumer2, WT_ERR_INVALID_ARG,
                 "unknown client role"},
        };
        wt_kstats_t *ks = wt_kstats_new();
        char err[512];
        size_t i;
        (void)state;
        assert_non_null(ks);
        update_ok(ks, WT_KSTATS_CONSUMER, consumer1);
        update_ok(ks, WT_KSTATS_PRODUCER, producer1);
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t len = strlen(cases[i].json);
                char *copy = wt_test_dup_exact(cases[i].json, len);
                err[0] = '\0';
                assert_int_equal(wt_kstats_update(ks, cases[i].role, copy,
                                                  len, err, sizeof(err)),
                                 cases[i].err);
                if (!strstr(err, cases[i].msg))
                        fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
                                 cases[i].msg);
                /* No errstr is fine too. */
                assert_int_equal(wt_kstats_update(ks, cases[i].role, copy,
                                                  len, NULL, 0),
                                 cases[i].err);
                free(copy);
                /* The previous tables stay. */
                assert_samples(ks, samples1);
        }
        wt_kstats_destroy(ks);
}

/* The length given is what counts: a document cut short is not JSON. */
static void test_length(void **state) {
        wt_kstats_t *ks = wt_kstats_new();
        (void)state;
        assert_non_null(ks);
        assert_int_equal(wt_kstats_update(ks, WT_KSTATS_CONSUMER, consumer1,
                                          sizeof(consumer1) / 2, NULL, 0),
                         WT_ERR_JSON);
        assert_int_equal(wt_kstats_update(ks, WT_KSTATS_CONSUMER, consumer1,
                                          sizeof(consumer1) - 1, NULL, 0),
                         WT_OK);
        wt_kstats_destroy(ks);
}

static void test_escape(void **state) {
        /* Topic we"ird\to<newline>pic: JSON-escaped here, label-escaped
         * in the output. */
        static const char cons[] =
                "{\"type\":\"consumer\",\"topics\":{\"we\\\"ird\\\\to\\npic\":"
                "{\"partitions\":{\"5\":{\"partition\":5,\"desired\":true,"
                "\"fetch_state\":\"active\",\"committed_offset\":11,"
                "\"consumer_lag\":6}}}}}";
        static const char prod[] =
                "{\"type\":\"producer\",\"topics\":{\"a\\\"b\":{\"batchsize\":"
                WINDOW(1, 2, 3, 4, 5, 6, 1) ",\"partitions\":{\"0\":{"
                "\"partition\":0,\"txmsgs\":9,\"txbytes\":90}}}}}";
        wt_kstats_t *ks = wt_kstats_new();
        char *text;
        (void)state;
        assert_non_null(ks);
        update_ok(ks, WT_KSTATS_CONSUMER, cons);
        update_ok(ks, WT_KSTATS_PRODUCER, prod);
        text = render(ks);
        assert_int_equal(
                count_line(text, "wiretag_consumer_lag_messages{topic="
                                 "\"we\\\"ird\\\\to\\npic\",partition=\"5\"}"
                                 " 6"),
                1);
        assert_int_equal(
                count_line(text, "wiretag_consumer_committed_offset{topic="
                                 "\"we\\\"ird\\\\to\\npic\",partition=\"5\"}"
                                 " 11"),
                1);
        assert_int_equal(count_line(text, "wiretag_producer_records_sent_"
                                          "total{topic=\"a\\\"b\"} 9"),
                         1);
        assert_int_equal(count_line(text, "wiretag_producer_batch_bytes{"
                                          "topic=\"a\\\"b\",stat=\"p99\"} 6"),
                         1);
        /* No raw newline inside a label: every line is a comment or a
         * whole sample ending in a number. */
        {
                const char *line = text;
                while (*line) {
                        const char *nl = strchr(line, '\n');
                        assert_non_null(nl);
                        if (*line != '#') {
                                assert_int_equal(strncmp(line, "wiretag_", 8),
                                                 0);
                                assert_true(nl[-1] >= '0' && nl[-1] <= '9');
                        }
                        line = nl + 1;
                }
        }
        /* Without batchcnt in the document, no batch message windows. */
        assert_null(strstr(text, "wiretag_producer_batch_messages"));
        free(text);
        wt_kstats_destroy(ks);
}

/* Long topic names take the slow path of the formatter; a document
 * without "type" is taken as the role given. */
static void test_long_topic(void **state) {
        char name[1001], *json, *text, line[1200];
        wt_kstats_t *ks = wt_kstats_new();
        (void)state;
        assert_non_null(ks);
        memset(name, 'x', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        json = malloc(2000);
        assert_non_null(json);
        snprintf(json, 2000,
                 "{\"topics\":{\"%s\":{\"partitions\":{\"0\":{\"partition\":0,"
                 "\"txmsgs\":1,\"txbytes\":2}}}}}",
                 name);
        update_ok(ks, WT_KSTATS_PRODUCER, json);
        text = render(ks);
        snprintf(line, sizeof(line),
                 "wiretag_producer_bytes_sent_total{topic=\"%s\"} 2", name);
        assert_int_equal(count_line(text, line), 1);
        free(text);
        free(json);
        wt_kstats_destroy(ks);
}

/* With wiretag's jansson allocator installed, an update made inside a
 * worker's arena bracket keeps nothing in the arena: the arena is freed
 * before the scrape, so ASan would report a table pointing into it. */
static void test_jsonmem(void **state) {
        wt_kstats_t *ks = wt_kstats_new();
        wt_jsonmem_arena_t *arena = wt_jsonmem_arena_new(1 << 20);
        (void)state;
        assert_non_null(ks);
        assert_non_null(arena);
        wt_jsonmem_install();
        update_ok(ks, WT_KSTATS_PRODUCER, producer1); /* outside: malloc */
        wt_jsonmem_enter(arena);
        update_ok(ks, WT_KSTATS_CONSUMER, consumer1);
        wt_jsonmem_leave(arena);
        wt_jsonmem_arena_destroy(arena);
        assert_samples(ks, samples1);
        wt_kstats_destroy(ks);
}

/* librdkafka's poll threads update while the HTTP thread scrapes. */
typedef struct race {
        wt_kstats_t *ks;
        wt_kstats_role_t role;
        const char *a, *b;
} race_t;

static void *race_updates(void *arg) {
        race_t *r = arg;
        int i;
        for (i = 0; i < 200; i++)
                if (wt_kstats_update(r->ks, r->role, i & 1 ? r->b : r->a,
                                     strlen(i & 1 ? r->b : r->a), NULL,
                                     0) != WT_OK)
                        return (void *)1;
        return NULL;
}

static void test_race(void **state) {
        wt_kstats_t *ks = wt_kstats_new();
        race_t rc = {ks, WT_KSTATS_CONSUMER, consumer1, consumer2};
        race_t rp = {ks, WT_KSTATS_PRODUCER, producer1, producer1};
        pthread_t tc, tp;
        void *rv;
        int i;
        (void)state;
        assert_non_null(ks);
        assert_int_equal(pthread_create(&tc, NULL, race_updates, &rc), 0);
        assert_int_equal(pthread_create(&tp, NULL, race_updates, &rp), 0);
        for (i = 0; i < 200; i++) {
                char *text = render(ks);
                /* Each scrape sees whole documents: the consumer's lag of
                 * articles [0] is one document's or the other's. */
                if (strstr(text, "wiretag_consumer_lag_messages")) {
                        unsigned a = count_line(
                                text, "wiretag_consumer_lag_messages{topic="
                                      "\"articles\",partition=\"0\"} 42");
                        unsigned b = count_line(
                                text, "wiretag_consumer_lag_messages{topic="
                                      "\"articles\",partition=\"0\"} 40");
                        assert_int_equal(a + b, 1);
                        assert_int_equal(
                                !!strstr(text, "topic=\"wires\""), a);
                }
                free(text);
        }
        assert_int_equal(pthread_join(tc, &rv), 0);
        assert_null(rv);
        assert_int_equal(pthread_join(tp, &rv), 0);
        assert_null(rv);
        wt_kstats_destroy(ks);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_documents),
                cmocka_unit_test(test_one_client),
                cmocka_unit_test(test_replace),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_length),
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_long_topic),
                cmocka_unit_test(test_jsonmem),
                cmocka_unit_test(test_race),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
