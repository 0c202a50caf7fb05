/*
 * wiretag - mock_faults.c: the stream processor (wt_stream, in process)
 * against librdkafka's mock cluster (rdkafka_mock.h), for faults a real
 * single broker cannot be made to produce on demand. Each case makes its
 * own mock cluster, produces N fixture articles (distinct keys) to the
 * input topic with a plain producer, runs wt_stream_run() in a thread,
 * injects the fault, waits (bounded) on wt_stream_get_stats() and the
 * /metrics text, stops, joins, and checks the outcome, including the
 * group's committed offsets read back by a separate consumer.
 *
 *  1. eos_commit_errors (exactly_once; transaction coordinator broker 1,
 *     group coordinator broker 2): EndTxn answered COORDINATOR_NOT_
 *     AVAILABLE then NOT_COORDINATOR, TxnOffsetCommit NOT_COORDINATOR then
 *     CONCURRENT_TRANSACTIONS (retriable: ridden through, no abort); then
 *     EndTxn answered INVALID_MSG_SIZE, and later TxnOffsetCommit
 *     GROUP_AUTHORIZATION_FAILED with the abort's own EndTxn failing too
 *     (abortable: one abort each, the failed abort tried again, the inputs
 *     processed again, and in the end wiretag has committed exactly N). A real broker answers these only during a coordinator move, an
 *     ACL change or a broker fault, none of which a test can time to a
 *     given request.
 *  2. eos_fenced (exactly_once): EndTxn answered PRODUCER_FENCED (fatal):
 *     run() returns an error by itself, healthy() says why, and nothing
 *     is committed after it. A real broker fences only when a second
 *     producer with the same transactional.id starts, at a moment the
 *     test cannot choose.
 *  3. alo_output_refused_dlq / _stop (at_least_once, 3 brokers): the
 *     broker that leads output.topic [0], and nothing else wiretag writes
 *     to, answers its first Produce request TOPIC_AUTHORIZATION_FAILED
 *     (librdkafka then fails every record of that topic it holds): with
 *     output.error.policy=dlq every refused input is in dlq.topic
 *     (output_refused), every other in output.topic, and all N commit;
 *     with =stop run() returns an error by itself and input partition 0
 *     commits nothing past the refused input (offset 0). A single broker
 *     without ACLs cannot refuse a topic's writes for authorization (the
 *     real-broker test uses MSG_SIZE_TOO_LARGE).
 *  4. alo_broker_down (at_least_once, 3 brokers): the broker leading
 *     input [1] and output.topic [0] and [3] goes down for 5 s mid-stream
 *     (no leader change: work of those partitions is held, the others
 *     flow), after the broker of output.topic [1] answered three Produce
 *     requests NOT_ENOUGH_REPLICAS (retriable): wiretag stays healthy,
 *     dead-letters nothing, refuses nothing, and ends with all N
 *     committed. A single broker cannot lose some partitions while the
 *     others stay up.
 *
 * What librdkafka 2.0.2's mock cannot do: it answers TxnOffsetCommit
 * without storing the offsets and writes no transaction markers, so the
 * exactly_once cases cannot read the group's committed offsets back (nor
 * tell committed outputs from aborted ones): they check wiretag's own
 * committed count, and would check the offsets too with a mock that
 * stores them. Every injected error is consumed (the broker's error
 * stack is checked empty), so a fault that never fired fails the case.
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
#include <stdatomic.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "wt_config.h"
#include "wt_stream.h"
#include "wt_test.h"

/* Kafka protocol ApiKeys (librdkafka keeps its RD_KAFKAP_* private). */
#define API_PRODUCE 0
#define API_ADD_OFFSETS_TO_TXN 25
#define API_END_TXN 26
#define API_TXN_OFFSET_COMMIT 28

#define N_INPUTS 2000
#define N_PARTS 4
#define INSTANCE "mock"

/* ------------------------------------------------------------ helpers */

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* The fixture articles, cycled over the inputs (keys are distinct). */
typedef struct articles {
        char **line;
        size_t n;
} articles_t;

static void articles_load(articles_t *a) {
        FILE *fp = fopen(wt_test_fixture("articles.jsonl"), "r");
        char buf[65536];
        assert_non_null(fp);
        memset(a, 0, sizeof(*a));
        while (fgets(buf, sizeof(buf), fp)) {
                size_t l = strlen(buf);
                while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
                        buf[--l] = '\0';
                if (!l)
                        continue;
                a->line = realloc(a->line, (a->n + 1) * sizeof(*a->line));
                assert_non_null(a->line);
                a->line[a->n] = strdup(buf);
                assert_non_null(a->line[a->n]);
                a->n++;
        }
        fclose(fp);
        assert_true(a->n > 0);
}

static void articles_free(articles_t *a) {
        size_t i;
        for (i = 0; i < a->n; i++)
                free(a->line[i]);
        free(a->line);
}

/* One case's world: a mock cluster, its topics and an input producer. */
typedef struct env {
        rd_kafka_t *owner; /* the handle the mock cluster lives on */
        rd_kafka_mock_cluster_t *mc;
        char bootstraps[512];
        const char *name;
        char in[96], out[96], dlq[96], group[96], txnid[160];
        rd_kafka_t *prod;
        atomic_int dr_failed;
        articles_t art;
        int next; /* the next input's number */
        wt_config_t cfg;
        int cfg_init;
        wt_stream_t *s;
        pthread_t thread;
        int thread_started;
        atomic_int done;
        wt_err_t rc;
} env_t;

static void input_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *op) {
        env_t *e = op;
        (void)rk;
        if (m->err)
                atomic_fetch_add(&e->dr_failed, 1);
}

static rd_kafka_conf_t *client_conf(env_t *e) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char err[512];
        assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers",
                                           e->bootstraps, err, sizeof(err)),
                         RD_KAFKA_CONF_OK);
        rd_kafka_conf_set_opaque(conf, e);
        return conf;
}

/* A mock cluster of nbrokers with the input topic (N_PARTS partitions),
 * output.topic (N_PARTS) and dlq.topic (1). */
static void env_init(env_t *e, const char *name, int nbrokers) {
        rd_kafka_conf_t *conf;
        char err[512];

        memset(e, 0, sizeof(*e));
        e->name = name;
        articles_load(&e->art);
        conf = rd_kafka_conf_new();
        assert_int_equal(rd_kafka_conf_set(conf, "log_level", "3", err,
                                           sizeof(err)),
                         RD_KAFKA_CONF_OK);
        e->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        assert_non_null(e->owner);
        e->mc = rd_kafka_mock_cluster_new(e->owner, nbrokers);
        assert_non_null(e->mc);
        snprintf(e->bootstraps, sizeof(e->bootstraps), "%s",
                 rd_kafka_mock_cluster_bootstraps(e->mc));
        snprintf(e->in, sizeof(e->in), "%s.in", name);
        snprintf(e->out, sizeof(e->out), "%s.out", name);
        snprintf(e->dlq, sizeof(e->dlq), "%s.dlq", name);
        snprintf(e->group, sizeof(e->group), "%s.group", name);
        /* What wt_config_kafka_conf makes of group.id and instance.id. */
        snprintf(e->txnid, sizeof(e->txnid), "wiretag-%s-%s", e->group,
                 INSTANCE);
        assert_int_equal(rd_kafka_mock_topic_create(e->mc, e->in, N_PARTS, 1),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(rd_kafka_mock_topic_create(e->mc, e->out, N_PARTS,
                                                    1),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(rd_kafka_mock_topic_create(e->mc, e->dlq, 1, 1),
                         RD_KAFKA_RESP_ERR_NO_ERROR);

        conf = client_conf(e);
        assert_int_equal(rd_kafka_conf_set(conf, "linger.ms", "5", err,
                                           sizeof(err)),
                         RD_KAFKA_CONF_OK);
        assert_int_equal(rd_kafka_conf_set(conf, "reconnect.backoff.max.ms",
                                           "500", err, sizeof(err)),
                         RD_KAFKA_CONF_OK);
        rd_kafka_conf_set_dr_msg_cb(conf, input_dr);
        e->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        assert_non_null(e->prod);
}

/* Produce inputs [e->next, e->next + n) to partition i % N_PARTS; with
 * flush, wait (bounded) until the mock acknowledged them all. */
static void produce_inputs(env_t *e, int n, int flush) {
        int i;
        for (i = 0; i < n; i++, e->next++) {
                char key[32];
                const char *v = e->art.line[e->next % e->art.n];
                rd_kafka_resp_err_t err;
                snprintf(key, sizeof(key), "%s-%d", e->name, e->next);
                do {
                        err = rd_kafka_producev(
                                e->prod, RD_KAFKA_V_TOPIC(e->in),
                                RD_KAFKA_V_PARTITION(e->next % N_PARTS),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_KEY(key, strlen(key)),
                                RD_KAFKA_V_VALUE((void *)v, strlen(v)),
                                RD_KAFKA_V_END);
                        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(e->prod, 10);
                } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
                assert_int_equal(err, RD_KAFKA_RESP_ERR_NO_ERROR);
        }
        if (flush)
                assert_int_equal(rd_kafka_flush(e->prod, 60000),
                                 RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(atomic_load(&e->dr_failed), 0);
}

static void cfg_set(env_t *e, const char *key, const char *value) {
        char err[1024];
        wt_err_t rc = wt_config_set(&e->cfg, key, value, err, sizeof(err));
        if (rc != WT_OK)
                fail_msg("wt_config_set %s=%s: %s", key, value, err);
}

/* wiretag's configuration for this case; extra: NULL-terminated
 * key, value pairs. */
static void env_config(env_t *e, const char *guarantee, const char *policy,
                       const char *const *extra) {
        char err[1024];
        wt_config_init(&e->cfg);
        e->cfg_init = 1;
        cfg_set(e, "bootstrap.servers", e->bootstraps);
        cfg_set(e, "group.id", e->group);
        cfg_set(e, "input.topics", e->in);
        cfg_set(e, "output.topic", e->out);
        cfg_set(e, "dlq.topic", e->dlq);
        cfg_set(e, "workers", "2");
        cfg_set(e, "model.path", wt_test_fixture("model-v1.wtm"));
        cfg_set(e, "log.level", "warn");
        cfg_set(e, "log.stats.interval.ms", "0");
        cfg_set(e, "shutdown.timeout.ms", "15000");
        cfg_set(e, "processing.guarantee", guarantee);
        cfg_set(e, "processing.commit.interval.ms", "200");
        cfg_set(e, "instance.id", INSTANCE);
        cfg_set(e, "output.error.policy", policy);
        /* Reconnect fast after a broker comes back. */
        cfg_set(e, "reconnect.backoff.max.ms", "500");
        for (; extra && extra[0]; extra += 2)
                cfg_set(e, extra[0], extra[1]);
        if (wt_config_finalize(&e->cfg, err, sizeof(err)) != WT_OK)
                fail_msg("wt_config_finalize: %s", err);
}

static void *run_main(void *arg) {
        env_t *e = arg;
        e->rc = wt_stream_run(e->s);
        atomic_store(&e->done, 1);
        return NULL;
}

static void env_start(env_t *e) {
        char err[1024] = "";
        wt_err_t rc = wt_stream_new(&e->cfg, &e->s, err, sizeof(err));
        if (rc != WT_OK)
                fail_msg("wt_stream_new: %s", err);
        assert_int_equal(pthread_create(&e->thread, NULL, run_main, e), 0);
        e->thread_started = 1;
}

static wt_stream_stats_t stats(env_t *e) {
        wt_stream_stats_t st;
        wt_stream_get_stats(e->s, &st);
        return st;
}

/* Wait (bounded) until committed >= target or run() returned. */
static int wait_committed(env_t *e, uint64_t target, unsigned ms) {
        uint64_t until = now_ms() + ms;
        while (now_ms() < until) {
                if (stats(e).committed >= target)
                        return 1;
                if (atomic_load(&e->done))
                        return stats(e).committed >= target;
                sleep_ms(20);
        }
        return 0;
}

/* Wait (bounded) until run() returned by itself. */
static int wait_done(env_t *e, unsigned ms) {
        uint64_t until = now_ms() + ms;
        while (now_ms() < until && !atomic_load(&e->done))
                sleep_ms(20);
        return atomic_load(&e->done);
}

/* Stop (bounded: shutdown.timeout.ms plus the close) and join. */
static wt_err_t env_stop(env_t *e) {
        uint64_t t0 = now_ms();
        wt_stream_stop(e->s);
        assert_true(wait_done(e, 60000));
        pthread_join(e->thread, NULL);
        e->thread_started = 0;
        print_message("[%s] stopped in %llu ms\n", e->name,
                      (unsigned long long)(now_ms() - t0));
        return e->rc;
}

/* A value of the /metrics text (the first line naming it exactly, labels
 * included); 0 when absent (a labeled counter at 0 is not printed). */
static double metric(env_t *e, const char *name) {
        size_t len = 0, nl = strlen(name);
        char *t = wt_stream_metrics(e->s, &len);
        const char *p;
        double v = 0;
        assert_non_null(t);
        for (p = t; p && *p;) {
                const char *eol = strchr(p, '\n');
                if (!strncmp(p, name, nl) && p[nl] == ' ') {
                        v = strtod(p + nl + 1, NULL);
                        break;
                }
                p = eol ? eol + 1 : NULL;
        }
        free(t);
        return v;
}

/* The group's committed offset of each input partition (-1: none), read
 * by a separate consumer in the same group, and their sum. */
static int64_t group_committed(env_t *e, int64_t per[N_PARTS]) {
        rd_kafka_conf_t *conf = client_conf(e);
        rd_kafka_topic_partition_list_t *tpl;
        rd_kafka_t *c;
        char err[512];
        int64_t sum = 0;
        int i;
        assert_int_equal(rd_kafka_conf_set(conf, "group.id", e->group, err,
                                           sizeof(err)),
                         RD_KAFKA_CONF_OK);
        c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        assert_non_null(c);
        tpl = rd_kafka_topic_partition_list_new(N_PARTS);
        for (i = 0; i < N_PARTS; i++)
                rd_kafka_topic_partition_list_add(tpl, e->in, i);
        assert_int_equal(rd_kafka_committed(c, tpl, 20000),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        for (i = 0; i < N_PARTS; i++) {
                assert_int_equal(tpl->elems[i].err,
                                 RD_KAFKA_RESP_ERR_NO_ERROR);
                per[tpl->elems[i].partition] =
                        tpl->elems[i].offset >= 0 ? tpl->elems[i].offset : -1;
        }
        for (i = 0; i < N_PARTS; i++)
                if (per[i] > 0)
                        sum += per[i];
        rd_kafka_topic_partition_list_destroy(tpl);
        rd_kafka_consumer_close(c);
        rd_kafka_destroy(c);
        return sum;
}

/* The high watermark of each partition of topic, and their sum. */
static int64_t end_offsets(env_t *e, const char *topic, int nparts,
                           int64_t *per) {
        int64_t sum = 0;
        int i;
        for (i = 0; i < nparts; i++) {
                int64_t lo = 0, hi = 0;
                assert_int_equal(rd_kafka_query_watermark_offsets(
                                         e->prod, topic, i, &lo, &hi, 20000),
                                 RD_KAFKA_RESP_ERR_NO_ERROR);
                if (per)
                        per[i] = hi;
                sum += hi;
        }
        return sum;
}

/* exactly_once: the group's committed offsets. librdkafka 2.0.2's mock
 * answers TxnOffsetCommit without storing the offsets (and writes no
 * transaction markers), so they cannot be read back: then say so. Should
 * a later mock store them, they must equal want (the input's end offsets)
 * or, with want NULL, be below them (a fence). */
static void check_txn_offsets(env_t *e, const int64_t *want) {
        int64_t per[N_PARTS], sum = group_committed(e, per);
        int i, stored = 0;
        for (i = 0; i < N_PARTS; i++)
                stored |= per[i] >= 0;
        if (!stored) {
                print_message("[%s] group committed offsets: none stored "
                              "(the mock keeps no transactional offsets); "
                              "wiretag's committed count checked instead\n",
                              e->name);
                return;
        }
        print_message("[%s] group committed %lld\n", e->name,
                      (long long)sum);
        for (i = 0; want && i < N_PARTS; i++)
                assert_int_equal(per[i], want[i]);
        if (!want)
                assert_true(sum == (int64_t)stats(e).committed);
}

static size_t error_stack(env_t *e, int32_t broker, int16_t api) {
        size_t cnt = 0;
        assert_int_equal(rd_kafka_mock_broker_error_stack_cnt(e->mc, broker,
                                                              api, &cnt),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        return cnt;
}

static void print_figures(env_t *e, const char *when) {
        wt_stream_stats_t st = stats(e);
        print_message("[%s] %s: sent %d, consumed %llu, committed %llu, "
                      "in flight %llu, classified %llu, dead letters %llu "
                      "(output_refused %.0f), produced %llu, produce "
                      "failures %llu, transactions committed %.0f, "
                      "aborted %.0f\n",
                      e->name, when, e->next,
                      (unsigned long long)st.consumed,
                      (unsigned long long)st.committed,
                      (unsigned long long)st.inflight,
                      (unsigned long long)st.classified,
                      (unsigned long long)st.dead_lettered,
                      metric(e, "wiretag_dead_letters_total{error=\""
                                "output_refused\"}"),
                      (unsigned long long)st.produced,
                      (unsigned long long)st.produce_failed,
                      metric(e, "wiretag_transactions_committed_total"),
                      metric(e, "wiretag_transactions_aborted_total"));
}

static void env_destroy(env_t *e) {
        if (e->thread_started) { /* a failed assertion left it running */
                wt_stream_stop(e->s);
                pthread_join(e->thread, NULL);
        }
        wt_stream_destroy(e->s);
        if (e->cfg_init)
                wt_config_clear(&e->cfg);
        if (e->prod) {
                rd_kafka_flush(e->prod, 5000);
                rd_kafka_destroy(e->prod);
        }
        if (e->mc)
                rd_kafka_mock_cluster_destroy(e->mc);
        if (e->owner)
                rd_kafka_destroy(e->owner);
        articles_free(&e->art);
        free(e);
}

static int setup(void **state) {
        env_t *e = calloc(1, sizeof(*e));
        if (!e)
                return -1;
        *state = e;
        return 0;
}

static int teardown(void **state) {
        env_destroy(*state);
        return 0;
}

/* ------------------------------------------------------------- cases */

/* exactly_once, 3 brokers: the transaction coordinator is broker 1, the
 * group coordinator broker 2 (TxnOffsetCommit goes there). */
static void eos_env(env_t *e, const char *name) {
        env_init(e, name, 3);
        assert_int_equal(rd_kafka_mock_coordinator_set(e->mc, "transaction",
                                                       e->txnid, 1),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(rd_kafka_mock_coordinator_set(e->mc, "group",
                                                       e->group, 2),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        env_config(e, "exactly_once", "dlq", NULL);
}

/* 1. Retriable then abortable errors on the transaction's commit. */
static void test_eos_commit_errors(void **state) {
        env_t *e = *state;
        const int n1 = N_INPUTS / 2, n2 = N_INPUTS / 4,
                  n3 = N_INPUTS - n1 - n2;
        int64_t ends[N_PARTS], esum;
        uint64_t t0 = now_ms();

        eos_env(e, "eos_commit_errors");
        produce_inputs(e, n1, 1);
        env_start(e);
        assert_true(wait_committed(e, (uint64_t)n1, 60000));
        print_figures(e, "first half, no fault");
        assert_int_equal(stats(e).committed, n1);
        assert_true(metric(e, "wiretag_transactions_committed_total") >= 1);
        assert_true(metric(e, "wiretag_transactions_aborted_total") == 0);

        /* Retriable: librdkafka retries them inside the calls. */
        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 e->mc, 1, API_END_TXN, 2,
                                 RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                                 0, RD_KAFKA_RESP_ERR_NOT_COORDINATOR, 0),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 e->mc, 2, API_TXN_OFFSET_COMMIT, 2,
                                 RD_KAFKA_RESP_ERR_NOT_COORDINATOR, 0,
                                 RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS,
                                 0),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        produce_inputs(e, n2, 1);
        assert_true(wait_committed(e, (uint64_t)(n1 + n2), 60000));
        print_figures(e, "after retriable EndTxn/TxnOffsetCommit errors");
        print_message("[%s] injected errors left: EndTxn %zu, "
                      "TxnOffsetCommit %zu\n",
                      e->name, error_stack(e, 1, API_END_TXN),
                      error_stack(e, 2, API_TXN_OFFSET_COMMIT));
        assert_int_equal(error_stack(e, 1, API_END_TXN), 0);
        assert_int_equal(error_stack(e, 2, API_TXN_OFFSET_COMMIT), 0);
        assert_int_equal(stats(e).committed, n1 + n2);
        assert_true(metric(e, "wiretag_transactions_aborted_total") == 0);
        assert_false(atomic_load(&e->done));

        /* Abortable: the commit fails, wiretag aborts, rewinds and
         * commits those inputs in the next transaction. */
        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 e->mc, 1, API_END_TXN, 1,
                                 RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, 0),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        produce_inputs(e, n3 / 2, 1);
        assert_true(wait_committed(e, (uint64_t)(n1 + n2 + n3 / 2), 60000));
        print_figures(e, "after an abortable EndTxn error");
        assert_int_equal(error_stack(e, 1, API_END_TXN), 0);
        assert_int_equal(stats(e).committed, n1 + n2 + n3 / 2);
        assert_true(metric(e, "wiretag_transactions_aborted_total") == 1);
        assert_false(atomic_load(&e->done));

        /* The offsets' commit fails, and so does the abort's own EndTxn
         * (abortable again): the abort is tried again, not given up. */
        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 e->mc, 2, API_TXN_OFFSET_COMMIT, 1,
                                 RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
                                 0),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 e->mc, 1, API_END_TXN, 1,
                                 RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, 0),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        produce_inputs(e, n3 - n3 / 2, 1);
        assert_true(wait_committed(e, N_INPUTS, 60000));
        print_figures(e, "after an abortable TxnOffsetCommit error and "
                         "a failed abort");
        assert_int_equal(error_stack(e, 2, API_TXN_OFFSET_COMMIT), 0);
        assert_int_equal(error_stack(e, 1, API_END_TXN), 0);
        /* One abort per abortable error. */
        assert_true(metric(e, "wiretag_transactions_aborted_total") == 2);
        assert_true(wt_stream_healthy(e->s, &(const char *){NULL}));
        assert_false(atomic_load(&e->done));

        assert_int_equal(env_stop(e), WT_OK);
        print_figures(e, "stopped");
        /* Every input committed once: the aborted transactions' inputs
         * are counted when their retry commits. */
        assert_int_equal(stats(e).committed, N_INPUTS);
        esum = end_offsets(e, e->in, N_PARTS, ends);
        assert_int_equal(esum, N_INPUTS);
        check_txn_offsets(e, ends);
        /* Every input published at least once (the mock keeps aborted
         * records in the log: it writes no transaction markers). */
        assert_true(end_offsets(e, e->out, N_PARTS, NULL) >= N_INPUTS);
        print_message("[%s] %llu ms\n", e->name,
                      (unsigned long long)(now_ms() - t0));
}

/* 2. The producer is fenced while committing. */
static void test_eos_fenced(void **state) {
        env_t *e = *state;
        const int n1 = N_INPUTS / 2;
        uint64_t t0 = now_ms(), c0;
        const char *why = NULL;

        eos_env(e, "eos_fenced");
        produce_inputs(e, n1, 1);
        env_start(e);
        assert_true(wait_committed(e, (uint64_t)n1, 60000));
        print_figures(e, "first half, no fault");
        c0 = stats(e).committed;
        assert_int_equal(c0, n1);
        assert_true(wt_stream_healthy(e->s, &why));

        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 e->mc, 1, API_END_TXN, 1,
                                 RD_KAFKA_RESP_ERR_PRODUCER_FENCED, 0),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        produce_inputs(e, N_INPUTS - n1, 1);
        /* run() returns by itself, on the fatal error. */
        assert_true(wait_done(e, 60000));
        print_figures(e, "fenced");
        assert_int_equal(error_stack(e, 1, API_END_TXN), 0);
        assert_false(wt_stream_healthy(e->s, &why));
        print_message("[%s] healthy: no (%s)\n", e->name, why);
        assert_non_null(strstr(why, "fatal"));
        assert_int_not_equal(env_stop(e), WT_OK);
        /* Nothing committed after the fence. */
        assert_int_equal(stats(e).committed, c0);
        assert_true(stats(e).consumed > c0);
        check_txn_offsets(e, NULL);
        print_message("[%s] %llu ms\n", e->name,
                      (unsigned long long)(now_ms() - t0));
}

/* Partition leaders: input [p] on broker in[p], output.topic [p] on
 * out[p], dlq.topic [0] on dlq; the group's coordinator on broker 1. */
static void set_leaders(env_t *e, const int *in, const int *out, int dlq) {
        int i;
        for (i = 0; i < N_PARTS; i++) {
                assert_int_equal(rd_kafka_mock_partition_set_leader(
                                         e->mc, e->in, i, in[i]),
                                 RD_KAFKA_RESP_ERR_NO_ERROR);
                assert_int_equal(rd_kafka_mock_partition_set_leader(
                                         e->mc, e->out, i, out[i]),
                                 RD_KAFKA_RESP_ERR_NO_ERROR);
        }
        assert_int_equal(rd_kafka_mock_partition_set_leader(e->mc, e->dlq, 0,
                                                            dlq),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(rd_kafka_mock_coordinator_set(e->mc, "group",
                                                       e->group, 1),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* at_least_once, 3 brokers: input partitions and the group coordinator
 * on broker 1; output.topic partition 0 on broker 3, its others and
 * dlq.topic on broker 2. Produce requests to broker 3 carry only
 * output.topic [0], the outputs of input partition 0. Sends the inputs,
 * makes broker 3 refuse its first Produce request and starts wiretag. */
static void refused_env(env_t *e, const char *name, const char *policy) {
        static const int in[N_PARTS] = {1, 1, 1, 1};
        static const int out[N_PARTS] = {3, 2, 2, 2};
        env_init(e, name, 3);
        set_leaders(e, in, out, 2);
        env_config(e, "at_least_once", policy, NULL);
        produce_inputs(e, N_INPUTS, 1);
        /* The first Produce request to output.topic [0] (it carries the
         * outputs of input partition 0 from offset 0). librdkafka then
         * fails every record of the topic it holds, whatever the
         * partition (TOPIC_AUTHORIZATION_FAILED is a topic error). */
        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 e->mc, 3, API_PRODUCE, 1,
                                 RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                 0),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        env_start(e);
}

/* 3a. Output refused for good, policy dlq. */
static void test_alo_output_refused_dlq(void **state) {
        env_t *e = *state;
        int64_t per[N_PARTS], ends[N_PARTS], gsum, out, dlq;
        uint64_t t0 = now_ms();
        double refused;
        int i;

        refused_env(e, "alo_output_refused_dlq", "dlq");
        assert_true(wait_committed(e, N_INPUTS, 60000));
        print_figures(e, "all committed");
        refused = metric(e, "wiretag_dead_letters_total{error=\""
                            "output_refused\"}");
        assert_int_equal(error_stack(e, 3, API_PRODUCE), 0);
        assert_true(refused >= 1);
        assert_true(stats(e).produce_failed >= 1);
        assert_false(atomic_load(&e->done));
        assert_int_equal(env_stop(e), WT_OK);
        print_figures(e, "stopped");
        assert_int_equal(stats(e).committed, N_INPUTS);
        assert_int_equal(stats(e).dead_lettered, (uint64_t)refused);
        gsum = group_committed(e, per);
        end_offsets(e, e->in, N_PARTS, ends);
        out = end_offsets(e, e->out, N_PARTS, NULL);
        dlq = end_offsets(e, e->dlq, 1, NULL);
        print_message("[%s] group committed %lld of %d; output.topic %lld "
                      "records, dlq.topic %lld\n",
                      e->name, (long long)gsum, N_INPUTS, (long long)out,
                      (long long)dlq);
        for (i = 0; i < N_PARTS; i++)
                assert_int_equal(per[i], ends[i]);
        /* Each refused input is in dlq.topic, every other in output. */
        assert_int_equal(dlq, (int64_t)refused);
        assert_int_equal(out + dlq, N_INPUTS);
        print_message("[%s] %llu ms\n", e->name,
                      (unsigned long long)(now_ms() - t0));
}

/* 3b. Output refused for good, policy stop. */
static void test_alo_output_refused_stop(void **state) {
        env_t *e = *state;
        int64_t per[N_PARTS], gsum;
        uint64_t t0 = now_ms();
        const char *why = NULL;

        refused_env(e, "alo_output_refused_stop", "stop");
        assert_true(wait_done(e, 60000)); /* stops by itself */
        print_figures(e, "stopped by itself");
        assert_int_equal(error_stack(e, 3, API_PRODUCE), 0);
        assert_false(wt_stream_healthy(e->s, &why));
        print_message("[%s] healthy: no (%s)\n", e->name, why);
        assert_int_not_equal(env_stop(e), WT_OK);
        assert_true(stats(e).produce_failed >= 1);
        assert_int_equal(stats(e).dead_lettered, 0);
        assert_true(stats(e).committed < N_INPUTS);
        gsum = group_committed(e, per);
        print_message("[%s] group committed %lld of %d; input partition 0 "
                      "at %lld\n",
                      e->name, (long long)gsum, N_INPUTS, (long long)per[0]);
        /* Nothing past the refused input (partition 0, offset 0). */
        assert_true(per[0] <= 0);
        assert_true(gsum < N_INPUTS);
        assert_true((uint64_t)gsum <= stats(e).committed);
        print_message("[%s] %llu ms\n", e->name,
                      (unsigned long long)(now_ms() - t0));
}

/* 4. A broker down for 5 s mid-stream. */
static void test_alo_broker_down(void **state) {
        env_t *e = *state;
        static const int in[N_PARTS] = {1, 2, 3, 1};
        static const int out[N_PARTS] = {2, 3, 1, 2};
        const int n1 = N_INPUTS / 2;
        int64_t per[N_PARTS], ends[N_PARTS], gsum;
        uint64_t t0 = now_ms(), until;
        wt_stream_stats_t st;
        const char *why = NULL;
        int i, stuck = 0;

        env_init(e, "alo_broker_down", 3);
        /* input [p] on broker 1 + p % 3 (1 2 3 1), output.topic [p] on
         * 1 + (p + 1) % 3 (2 3 1 2): broker 2 leads input [1] and the
         * outputs of input [0] and [3]; group coordinator broker 1. */
        set_leaders(e, in, out, 3);
        env_config(e, "at_least_once", "dlq", NULL);
        produce_inputs(e, n1, 1);
        env_start(e);
        assert_true(wait_committed(e, (uint64_t)n1, 60000));
        print_figures(e, "first half, no fault");

        /* Retriable Produce errors on broker 3 (output.topic [1]). */
        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 e->mc, 3, API_PRODUCE, 3,
                                 RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 0,
                                 RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 0,
                                 RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 0),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(rd_kafka_mock_broker_set_down(e->mc, 2),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        print_message("[%s] broker 2 down\n", e->name);
        produce_inputs(e, N_INPUTS - n1, 0); /* [1] waits for broker 2 */
        until = now_ms() + 5000;
        while (now_ms() < until) {
                rd_kafka_poll(e->prod, 50);
                st = stats(e);
                /* Inputs of [0] and [3] consumed, their outputs stuck. */
                if (st.consumed > st.committed)
                        stuck = 1;
                assert_true(wt_stream_healthy(e->s, &why));
                assert_false(atomic_load(&e->done));
        }
        print_figures(e, "broker 2 down for 5 s");
        st = stats(e);
        /* The outage held work back (it could not all commit). */
        assert_true(stuck);
        assert_true(st.committed < N_INPUTS);
        assert_int_equal(rd_kafka_mock_broker_set_up(e->mc, 2),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        print_message("[%s] broker 2 up\n", e->name);
        assert_int_equal(rd_kafka_flush(e->prod, 60000),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        assert_int_equal(atomic_load(&e->dr_failed), 0);
        assert_true(wait_committed(e, N_INPUTS, 90000));
        print_figures(e, "all committed");
        assert_int_equal(error_stack(e, 3, API_PRODUCE), 0);
        assert_true(wt_stream_healthy(e->s, &why));
        assert_false(atomic_load(&e->done));
        assert_int_equal(env_stop(e), WT_OK);
        st = stats(e);
        assert_int_equal(st.committed, N_INPUTS);
        assert_int_equal(st.dead_lettered, 0);
        assert_int_equal(st.produce_failed, 0);
        gsum = group_committed(e, per);
        end_offsets(e, e->in, N_PARTS, ends);
        print_message("[%s] group committed %lld of %d\n", e->name,
                      (long long)gsum, N_INPUTS);
        for (i = 0; i < N_PARTS; i++)
                assert_int_equal(per[i], ends[i]);
        assert_true(end_offsets(e, e->out, N_PARTS, NULL) >= N_INPUTS);
        print_message("[%s] %llu ms\n", e->name,
                      (unsigned long long)(now_ms() - t0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_eos_commit_errors, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_eos_fenced, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_alo_output_refused_dlq,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_alo_output_refused_stop,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_alo_broker_down, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
