/*
 * wiretag - test_config.c: unit tests for wt_config (`wiretag run`
 * configuration): every wiretag key, every kind of bad value, the
 * librdkafka passthrough and its scopes, the .properties syntax, the
 * finalize checks, the printed documentation and the committed
 * config/wiretag.properties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt_config.h"
#include "wt_test.h"

/* Each test owns a config and a scratch folder for .properties files. */
typedef struct ctx {
        wt_config_t cfg;
        char dir[256];
        char path[512];
        char err[1024];
} ctx_t;

static int setup(void **state) {
        ctx_t *c = calloc(1, sizeof(*c));
        if (!c)
                return -1;
        wt_config_init(&c->cfg);
        wt_test_tmpdir(c->dir, sizeof(c->dir));
        snprintf(c->path, sizeof(c->path), "%s/wt.properties", c->dir);
        *state = c;
        return 0;
}

static int teardown(void **state) {
        ctx_t *c = *state;
        static const char *const names[] = {"wt.properties"};
        wt_config_clear(&c->cfg);
        wt_test_rmdir(c->dir, names, 1);
        free(c);
        return 0;
}

/** Set key=value, which must succeed. */
static void set_ok(ctx_t *c, const char *key, const char *value) {
        wt_err_t err = wt_config_set(&c->cfg, key, value, c->err,
                                     sizeof(c->err));
        if (err)
                fail_msg("set %s=%s: %s", key, value, c->err);
}

/** Set key=value, which must fail with WT_ERR_INVALID_ARG and a message
 *  naming the key. */
static void set_bad(ctx_t *c, const char *key, const char *value) {
        c->err[0] = '\0';
        if (wt_config_set(&c->cfg, key, value, c->err, sizeof(c->err)) !=
            WT_ERR_INVALID_ARG)
                fail_msg("set %s=%s succeeded", key, value);
        assert_contains(c->err, key);
}

/** Load content from a file, returning the result (message in c->err). */
static wt_err_t load_str(ctx_t *c, const char *content) {
        wt_test_write_str(c->path, content);
        c->err[0] = '\0';
        return wt_config_load(&c->cfg, c->path, c->err, sizeof(c->err));
}

/** The value of key in conf, in a static buffer. */
static const char *conf_get(rd_kafka_conf_t *conf, const char *key) {
        static char buf[512];
        size_t size = sizeof(buf);
        if (rd_kafka_conf_get(conf, key, buf, &size) != RD_KAFKA_CONF_OK)
                fail_msg("rd_kafka_conf_get(%s) failed", key);
        return buf;
}

/** The value of key in conf, or NULL when it is unset. */
static const char *conf_get_opt(rd_kafka_conf_t *conf, const char *key) {
        static char buf[512];
        size_t size = sizeof(buf);
        if (rd_kafka_conf_get(conf, key, buf, &size) != RD_KAFKA_CONF_OK)
                return NULL;
        return buf;
}

/** Set the keys a finalize needs, except `skip` (NULL: none). */
static void set_minimal(ctx_t *c, const char *skip) {
        static const char *const kv[][2] = {
                {"model.path", "m.wtm"},
                {"input.topics", "in"},
                {"output.topic", "out"},
                {"dlq.topic", "dlq"},
                {"bootstrap.servers", "localhost:9092"},
                {"group.id", "g"},
        };
        size_t i;
        for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
                if (!skip || strcmp(skip, kv[i][0]))
                        set_ok(c, kv[i][0], kv[i][1]);
}

/** The doc, as a malloc'ed string. */
/* Not inlined: GCC 12 then takes the callers' pointers into the returned
 * text for pointers to this frame's `buf` (-Wdangling-pointer). */
static __attribute__((noinline)) char *print_doc(void) {
        char *buf = NULL;
        size_t size = 0;
        FILE *fp = open_memstream(&buf, &size);
        assert_non_null(fp);
        wt_config_print_doc(fp);
        assert_int_equal(fclose(fp), 0);
        return buf;
}

/** Whole-file contents, malloc'ed. */
static char *read_file(const char *path) {
        FILE *fp = fopen(path, "rb");
        char *buf;
        long n;
        if (!fp)
                fail_msg("%s: %s", path, strerror(errno));
        assert_int_equal(fseek(fp, 0, SEEK_END), 0);
        n = ftell(fp);
        assert_true(n >= 0);
        rewind(fp);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
        buf[n] = '\0';
        fclose(fp);
        return buf;
}

/** The committed quickstart config: compiled in, else beside fixtures. */
static const char *committed_config(void) {
#ifdef WT_CONFIG_FILE
        return WT_CONFIG_FILE;
#else
        static char p[4096];
        snprintf(p, sizeof(p), "%s/../../config/wiretag.properties",
                 wt_test_fixtures());
        return p;
#endif
}


static void test_defaults(void **state) {
        ctx_t *c = *state;
        assert_null(c->cfg.model_path);
        assert_null(c->cfg.input_fields);
        assert_int_equal(c->cfg.ninput_topics, 0);
        assert_null(c->cfg.output_topic);
        assert_null(c->cfg.unlabeled_topic);
        assert_null(c->cfg.dlq_topic);
        assert_int_equal(c->cfg.nroutes, 0);
        assert_int_equal(c->cfg.workers, 0);
        assert_int_equal(c->cfg.input_max_bytes, 1000000);
        assert_int_equal(c->cfg.queue_max_messages, 10000);
        assert_int_equal(c->cfg.queue_max_bytes, 67108864);
        assert_int_equal(c->cfg.stats_interval_ms, 10000);
        assert_int_equal(c->cfg.shutdown_timeout_ms, 30000);
        assert_int_equal(c->cfg.log_level, WT_LOG_INFO);
        assert_int_equal(c->cfg.nkafka, 0);
}

static void test_every_key(void **state) {
        ctx_t *c = *state;
        set_ok(c, "model.path", "models/x.wtm");
        set_ok(c, "input.fields", " title , body ");
        set_ok(c, "input.topics", "a, b.c ,d_e-F9");
        set_ok(c, "output.topic", "out");
        set_ok(c, "output.topic.unlabeled", "unl");
        set_ok(c, "dlq.topic", "dlq");
        set_ok(c, "route.diplomacy", "t.dip");
        set_ok(c, "route.militancy", "t.mil");
        set_ok(c, "workers", "1024");
        set_ok(c, "input.max.bytes", "1073741824");
        set_ok(c, "queue.max.messages", "1");
        set_ok(c, "queue.max.bytes", "17179869184");
        set_ok(c, "log.stats.interval.ms", "0");
        set_ok(c, "shutdown.timeout.ms", "100");
        set_ok(c, "log.level", "debug");

        assert_string_equal(c->cfg.model_path, "models/x.wtm");
        assert_string_equal(c->cfg.input_fields, "title,body");
        assert_int_equal(c->cfg.ninput_topics, 3);
        assert_string_equal(c->cfg.input_topics[0], "a");
        assert_string_equal(c->cfg.input_topics[1], "b.c");
        assert_string_equal(c->cfg.input_topics[2], "d_e-F9");
        assert_string_equal(c->cfg.output_topic, "out");
        assert_string_equal(c->cfg.unlabeled_topic, "unl");
        assert_string_equal(c->cfg.dlq_topic, "dlq");
        assert_int_equal(c->cfg.nroutes, 2);
        assert_string_equal(c->cfg.routes[0].label, "diplomacy");
        assert_string_equal(c->cfg.routes[0].topic, "t.dip");
        assert_string_equal(c->cfg.routes[1].label, "militancy");
        assert_string_equal(c->cfg.routes[1].topic, "t.mil");
        assert_int_equal(c->cfg.workers, 1024);
        assert_int_equal(c->cfg.input_max_bytes, 1073741824);
        assert_int_equal(c->cfg.queue_max_messages, 1);
        if (sizeof(size_t) >= 8)
                assert_true(c->cfg.queue_max_bytes == (size_t)17179869184ULL);
        assert_int_equal(c->cfg.stats_interval_ms, 0);
        assert_int_equal(c->cfg.shutdown_timeout_ms, 100);
        assert_int_equal(c->cfg.log_level, WT_LOG_DEBUG);

        /* Every level name. */
        set_ok(c, "log.level", "error");
        assert_int_equal(c->cfg.log_level, WT_LOG_ERROR);
        set_ok(c, "log.level", "warn");
        assert_int_equal(c->cfg.log_level, WT_LOG_WARN);
        set_ok(c, "log.level", "info");
        assert_int_equal(c->cfg.log_level, WT_LOG_INFO);

        /* Empty optional values go back to unset. */
        set_ok(c, "input.fields", "");
        assert_null(c->cfg.input_fields);
        set_ok(c, "output.topic.unlabeled", "");
        assert_null(c->cfg.unlabeled_topic);
        /* An empty route topic removes the route. */
        set_ok(c, "route.diplomacy", "");
        assert_int_equal(c->cfg.nroutes, 1);
        assert_string_equal(c->cfg.routes[0].label, "militancy");
        set_ok(c, "route.nosuch", "");
        assert_int_equal(c->cfg.nroutes, 1);
}

static void test_bad_values(void **state) {
        ctx_t *c = *state;
        static const struct {
                const char *key, *value, *want;
        } cases[] = {
                /* Numbers: junk, sign, blanks, range, overflow. */
                {"workers", "abc", "0..1024"},
                {"workers", "4x", "\"4x\""},
                {"workers", "-1", "\"-1\""},
                {"workers", "+1", "\"+1\""},
                {"workers", " 4", "0..1024"},
                {"workers", "", "0..1024"},
                {"workers", "1025", "1025 is out of range 0..1024"},
                {"input.max.bytes", "0", "0 is out of range 1..1073741824"},
                {"input.max.bytes", "1073741825", "1..1073741824"},
                {"input.max.bytes", "1M", "\"1M\""},
                {"queue.max.messages", "0", "1..10000000"},
                {"queue.max.messages", "10000001", "1..10000000"},
                {"queue.max.bytes", "1023", "1023 is out of range 1024.."},
                {"queue.max.bytes", "99999999999999999999999",
                 "99999999999999999999999 is out of range"},
                {"queue.max.bytes", "99999999999999999999999x",
                 "not a plain decimal integer"},
                {"log.stats.interval.ms", "86400001", "0..86400000"},
                {"shutdown.timeout.ms", "99", "100..600000"},
                {"shutdown.timeout.ms", "600001", "100..600000"},
                {"shutdown.timeout.ms", "1.5", "\"1.5\""},
                /* Enum. */
                {"log.level", "verbose", "\"verbose\""},
                {"log.level", "INFO", "error, warn, info, debug"},
                {"log.level", "", "error, warn, info, debug"},
                /* Boolean. */
                {"model.watch", "yes", "\"yes\" is not true or false"},
                {"model.watch", "TRUE", "is not true or false"},
                {"model.watch", "1", "is not true or false"},
                /* Strings and topics. */
                {"model.path", "", "must not be empty"},
                {"output.topic", "", "not a valid Kafka topic"},
                {"dlq.topic", "", "not a valid Kafka topic"},
                {"output.topic", "bad topic", "\"bad topic\""},
                {"output.topic", ".", "not a valid Kafka topic"},
                {"dlq.topic", "..", "not a valid Kafka topic"},
                {"dlq.topic", "a/b", "\"a/b\""},
                {"output.topic.unlabeled", "ümlaut", "not a valid Kafka"},
                /* Lists. */
                {"input.topics", "", "empty element"},
                {"input.topics", "a,,b", "empty element"},
                {"input.topics", "a,", "empty element"},
                {"input.topics", "a,b c", "\"b c\""},
                {"input.topics", "a, b,a", "\"a\" is listed twice"},
                {"input.fields", "title,,text", "empty element"},
                {"input.fields", "title,title", "listed twice"},
                /* Routes. */
                {"route.", "t", "needs a label"},
                {"route.diplomacy", "bad/topic", "\"bad/topic\""},
        };
        char longtopic[251];
        size_t i;

        set_ok(c, "workers", "7");
        set_ok(c, "input.topics", "keep");
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                set_bad(c, cases[i].key, cases[i].value);
                assert_contains(c->err, cases[i].want);
        }
        /* A failed set leaves the earlier value. */
        assert_int_equal(c->cfg.workers, 7);
        assert_int_equal(c->cfg.ninput_topics, 1);
        assert_string_equal(c->cfg.input_topics[0], "keep");
        assert_int_equal(c->cfg.nroutes, 0);

        /* Topic length: 249 is Kafka's limit. */
        memset(longtopic, 'x', 249);
        longtopic[249] = '\0';
        set_ok(c, "output.topic", longtopic);
        longtopic[249] = 'x';
        longtopic[250] = '\0';
        set_bad(c, "output.topic", longtopic);
        assert_contains(c->err, "1..249");
}

static void test_unknown_wiretag_key(void **state) {
        ctx_t *c = *state;
        static const char *const keys[] = {
                "model.pth",       "model",         "input.topic",
                "input.max.byte",  "output.topics", "output.label",
                "dlq.topics",      "queue.max.msgs", "log.levels",
                "log.stats.interval", "shutdown.timeout", "workers.count",
                "workerz",
        };
        size_t i;
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                set_bad(c, keys[i], "1");
                /* "model" alone is no namespace: librdkafka answers. */
                if (strcmp(keys[i], "model") && strcmp(keys[i], "workerz"))
                        assert_contains(c->err, "unknown wiretag key");
        }
        assert_int_equal(c->cfg.nkafka, 0);

        /* librdkafka's own properties in those namespaces still pass. */
        set_ok(c, "queue.buffering.max.messages", "50000");
        set_ok(c, "log.connection.close", "false");
        assert_int_equal(c->cfg.nkafka, 2);
}

static void test_unknown_kafka_key(void **state) {
        ctx_t *c = *state;
        set_bad(c, "no.such.property", "1");
        assert_contains(c->err, "No such configuration property");
        set_bad(c, "consumer.no.such.property", "1");
        assert_contains(c->err, "No such configuration property");
        set_bad(c, "producer.no.such.property", "1");
        /* Scoped: the namespace rule is for bare keys only. */
        set_bad(c, "consumer.model.path", "m.wtm");
        assert_contains(c->err, "No such configuration property");
        /* Bad values, in librdkafka's words. */
        set_bad(c, "fetch.min.bytes", "abc");
        assert_contains(c->err, "Invalid value");
        set_bad(c, "producer.linger.ms", "-5");
        set_bad(c, "security.protocol", "carrier_pigeon");
        /* A prefix with nothing after it. */
        set_bad(c, "consumer.", "1");
        set_bad(c, "producer.", "1");
        assert_int_equal(wt_config_set(&c->cfg, "", "1", c->err,
                                       sizeof(c->err)),
                         WT_ERR_INVALID_ARG);
        assert_int_equal(c->cfg.nkafka, 0);
}

static void test_forbidden_keys(void **state) {
        ctx_t *c = *state;
        set_bad(c, "enable.auto.offset.store", "false");
        assert_contains(c->err, "at-least-once");
        set_bad(c, "consumer.enable.auto.offset.store", "true");
        set_bad(c, "producer.enable.auto.offset.store", "true");
        set_bad(c, "enable.partition.eof", "true");
        assert_contains(c->err, "wiretag controls");
        set_bad(c, "consumer.enable.partition.eof", "false");
        set_bad(c, "enable.idempotence", "false");
        assert_contains(c->err, "idempoten");
        set_bad(c, "producer.enable.idempotence", "false");
        set_bad(c, "producer.enable.idempotence", "0");
        set_bad(c, "enable.idempotence", "FALSE");
        assert_int_equal(c->cfg.nkafka, 0);

        /* Harmless: idempotence on, or on the consumer. */
        set_ok(c, "enable.idempotence", "true");
        set_ok(c, "consumer.enable.idempotence", "false");
        assert_int_equal(c->cfg.nkafka, 2);
}

static void test_scopes(void **state) {
        ctx_t *c = *state;
        rd_kafka_conf_t *cc, *pc;

        set_ok(c, "consumer.fetch.min.bytes", "1234");
        set_ok(c, "producer.batch.num.messages", "777");
        set_ok(c, "client.id", "wt-both");
        set_ok(c, "group.id", "grp");           /* consumer-only */
        set_ok(c, "linger.ms", "20");           /* producer-only */
        set_ok(c, "consumer.auto.offset.reset", "latest");
        assert_int_equal(c->cfg.nkafka, 6);
        assert_int_equal(c->cfg.kafka[0].scope, 1);
        assert_string_equal(c->cfg.kafka[0].key, "fetch.min.bytes");
        assert_int_equal(c->cfg.kafka[1].scope, 2);
        assert_string_equal(c->cfg.kafka[1].key, "batch.num.messages");
        assert_int_equal(c->cfg.kafka[2].scope, 0);

        cc = wt_config_kafka_conf(&c->cfg, 1, c->err, sizeof(c->err));
        if (!cc)
                fail_msg("consumer conf: %s", c->err);
        pc = wt_config_kafka_conf(&c->cfg, 0, c->err, sizeof(c->err));
        if (!pc)
                fail_msg("producer conf: %s", c->err);

        /* Scoped keys reach their client only. */
        assert_string_equal(conf_get(cc, "fetch.min.bytes"), "1234");
        assert_string_not_equal(conf_get(pc, "fetch.min.bytes"), "1234");
        assert_string_equal(conf_get(pc, "batch.num.messages"), "777");
        assert_string_not_equal(conf_get(cc, "batch.num.messages"), "777");
        /* Bare keys reach both, unless librdkafka says they belong to one
         * client only. */
        assert_string_equal(conf_get(cc, "client.id"), "wt-both");
        assert_string_equal(conf_get(pc, "client.id"), "wt-both");
        assert_string_equal(conf_get(cc, "group.id"), "grp");
        assert_null(conf_get_opt(pc, "group.id"));
        assert_string_equal(conf_get(pc, "linger.ms"), "20");

        /* wiretag's consumer settings, and the user's override. */
        assert_string_equal(conf_get(cc, "enable.auto.offset.store"),
                            "false");
        assert_string_equal(conf_get(cc, "enable.auto.commit"), "true");
        assert_string_equal(conf_get(cc, "auto.commit.interval.ms"), "1000");
        assert_string_equal(conf_get(cc, "partition.assignment.strategy"),
                            "cooperative-sticky");
        assert_string_equal(conf_get(cc, "enable.partition.eof"), "false");
        assert_string_equal(conf_get(cc, "auto.offset.reset"), "largest");
        /* wiretag's producer settings. */
        assert_string_equal(conf_get(pc, "enable.idempotence"), "true");
        assert_string_equal(conf_get(pc, "acks"), "-1"); /* all */
        rd_kafka_conf_destroy(cc);
        rd_kafka_conf_destroy(pc);

        /* Defaults alone, before any user property. */
        wt_config_clear(&c->cfg);
        wt_config_init(&c->cfg);
        cc = wt_config_kafka_conf(&c->cfg, 1, c->err, sizeof(c->err));
        pc = wt_config_kafka_conf(&c->cfg, 0, c->err, sizeof(c->err));
        assert_non_null(cc);
        assert_non_null(pc);
        assert_string_equal(conf_get(cc, "auto.offset.reset"), "smallest");
        assert_string_equal(conf_get(pc, "linger.ms"), "5");
        rd_kafka_conf_destroy(cc);
        rd_kafka_conf_destroy(pc);
}

static void test_kafka_conf_failure(void **state) {
        ctx_t *c = *state;
        /* The struct is public: a value that bypassed wt_config_set makes
         * wt_config_kafka_conf fail cleanly, naming client and key. */
        set_ok(c, "consumer.fetch.min.bytes", "5");
        free(c->cfg.kafka[0].value);
        c->cfg.kafka[0].value = strdup("abc");
        assert_non_null(c->cfg.kafka[0].value);
        assert_null(wt_config_kafka_conf(&c->cfg, 1, c->err,
                                         sizeof(c->err)));
        assert_contains(c->err, "consumer fetch.min.bytes");
        /* The producer never gets it. */
        {
                rd_kafka_conf_t *pc = wt_config_kafka_conf(
                        &c->cfg, 0, c->err, sizeof(c->err));
                assert_non_null(pc);
                rd_kafka_conf_destroy(pc);
        }
}

static void test_override(void **state) {
        ctx_t *c = *state;
        rd_kafka_conf_t *pc;

        assert_int_equal(load_str(c, "workers=4\n"
                                     "route.diplomacy=t1\n"
                                     "consumer.fetch.min.bytes=10\n"
                                     "producer.linger.ms=10\n"
                                     "linger.ms=20\n"
                                     "input.topics=a,b\n"),
                         WT_OK);
        /* -X after the file: each replaces, one entry per key. */
        set_ok(c, "workers", "8");
        set_ok(c, "route.diplomacy", "t2");
        set_ok(c, "consumer.fetch.min.bytes", "20");
        set_ok(c, "producer.linger.ms", "30");
        set_ok(c, "input.topics", "c");
        assert_int_equal(c->cfg.workers, 8);
        assert_int_equal(c->cfg.nroutes, 1);
        assert_string_equal(c->cfg.routes[0].topic, "t2");
        assert_int_equal(c->cfg.ninput_topics, 1);
        assert_string_equal(c->cfg.input_topics[0], "c");
        assert_int_equal(c->cfg.nkafka, 3);
        /* The latest set applies last, after bare linger.ms=20. */
        assert_string_equal(c->cfg.kafka[2].key, "linger.ms");
        assert_int_equal(c->cfg.kafka[2].scope, 2);
        assert_string_equal(c->cfg.kafka[2].value, "30");
        pc = wt_config_kafka_conf(&c->cfg, 0, c->err, sizeof(c->err));
        assert_non_null(pc);
        assert_string_equal(conf_get(pc, "linger.ms"), "30");
        rd_kafka_conf_destroy(pc);
}

static void test_syntax(void **state) {
        ctx_t *c = *state;
        char want[600];

        assert_int_equal(
                load_str(c, "\xEF\xBB\xBF# comment\n"
                            "! also a comment\n"
                            "   # indented comment \\\n"
                            "\n"
                            "   \t\n"
                            "model.path = models/a b.wtm  \n"
                            "output.topic: out\n"
                            "\tdlq.topic\t=\tdlq\r\n"
                            "client.id = a=b:c\n"
                            "input.topics = one,\\\n"
                            "               two,\\\n"
                            "   three\n"
                            "input.fields=title\\\\\n"
                            "log.level:debug\n"
                            "route.diplomacy=\n"
                            "workers=3 \\"),
                WT_OK);
        assert_string_equal(c->cfg.model_path, "models/a b.wtm");
        assert_string_equal(c->cfg.output_topic, "out");
        assert_string_equal(c->cfg.dlq_topic, "dlq");
        assert_int_equal(c->cfg.nkafka, 1);
        assert_string_equal(c->cfg.kafka[0].key, "client.id");
        assert_string_equal(c->cfg.kafka[0].value, "a=b:c");
        assert_int_equal(c->cfg.ninput_topics, 3);
        assert_string_equal(c->cfg.input_topics[2], "three");
        /* An even number of backslashes is no continuation. */
        assert_string_equal(c->cfg.input_fields, "title\\\\");
        assert_int_equal(c->cfg.log_level, WT_LOG_DEBUG);
        assert_int_equal(c->cfg.nroutes, 0);
        assert_int_equal(c->cfg.workers, 3);

        /* No separator: file:line. */
        assert_int_equal(load_str(c, "# x\n\nworkers=2\nworkers 4\n"),
                         WT_ERR_INVALID_ARG);
        snprintf(want, sizeof(want), "%s:4:", c->path);
        assert_contains(c->err, want);
        assert_contains(c->err, "workers 4");
        assert_int_equal(c->cfg.workers, 2); /* lines before it applied */

        /* Empty key. */
        assert_int_equal(load_str(c, "=4\n"), WT_ERR_INVALID_ARG);
        snprintf(want, sizeof(want), "%s:1:", c->path);
        assert_contains(c->err, want);

        /* A bad value names file:line of the logical line's start and
         * the key. */
        assert_int_equal(load_str(c, "\n"
                                     "log.level=info\n"
                                     "queue.max.messages=\\\n"
                                     "  12x\n"),
                         WT_ERR_INVALID_ARG);
        snprintf(want, sizeof(want), "%s:3: queue.max.messages:", c->path);
        assert_contains(c->err, want);
        assert_contains(c->err, "12x");

        assert_int_equal(load_str(c, "no.such.property=1\n"),
                         WT_ERR_INVALID_ARG);
        snprintf(want, sizeof(want), "%s:1: no.such.property", c->path);
        assert_contains(c->err, want);

        /* Empty file: nothing set, no error. */
        assert_int_equal(load_str(c, ""), WT_OK);
}

static void test_load_missing(void **state) {
        ctx_t *c = *state;
        char p[600];
        snprintf(p, sizeof(p), "%s/does-not-exist.properties", c->dir);
        assert_int_equal(wt_config_load(&c->cfg, p, c->err, sizeof(c->err)),
                         WT_ERR_IO);
        assert_contains(c->err, p);
        assert_contains(c->err, strerror(ENOENT));
}

static void test_finalize(void **state) {
        ctx_t *c = *state;
        static const char *const required[] = {
                "model.path", "input.topics", "output.topic", "dlq.topic",
                "bootstrap.servers", "group.id",
        };
        size_t i;

        set_minimal(c, NULL);
        assert_int_equal(wt_config_finalize(&c->cfg, c->err, sizeof(c->err)),
                         WT_OK);
        /* workers=0 became the online CPU count. */
        assert_true(c->cfg.workers >= 1 && c->cfg.workers <= 1024);
        assert_int_equal(c->cfg.workers,
                         (unsigned)(sysconf(_SC_NPROCESSORS_ONLN) > 1024
                                            ? 1024
                                            : sysconf(_SC_NPROCESSORS_ONLN)));
        /* An explicit count stays. */
        set_ok(c, "workers", "3");
        assert_int_equal(wt_config_finalize(&c->cfg, c->err, sizeof(c->err)),
                         WT_OK);
        assert_int_equal(c->cfg.workers, 3);

        for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
                wt_config_clear(&c->cfg);
                wt_config_init(&c->cfg);
                set_minimal(c, required[i]);
                assert_int_equal(
                        wt_config_finalize(&c->cfg, c->err, sizeof(c->err)),
                        WT_ERR_INVALID_ARG);
                assert_contains(c->err, required[i]);
                assert_contains(c->err, "required");
        }
}

static void test_finalize_kafka(void **state) {
        ctx_t *c = *state;

        /* bootstrap.servers for one client only is not enough. */
        set_minimal(c, "bootstrap.servers");
        set_ok(c, "consumer.bootstrap.servers", "b:1");
        assert_int_equal(wt_config_finalize(&c->cfg, c->err, sizeof(c->err)),
                         WT_ERR_INVALID_ARG);
        assert_contains(c->err, "bootstrap.servers");
        set_ok(c, "producer.bootstrap.servers", "b:2");
        assert_int_equal(wt_config_finalize(&c->cfg, c->err, sizeof(c->err)),
                         WT_OK);

        /* librdkafka's other name for it counts too. */
        wt_config_clear(&c->cfg);
        wt_config_init(&c->cfg);
        set_minimal(c, "bootstrap.servers");
        set_ok(c, "metadata.broker.list", "b:1");
        assert_int_equal(wt_config_finalize(&c->cfg, c->err, sizeof(c->err)),
                         WT_OK);

        /* group.id: the producer's does not count, the consumer's does. */
        wt_config_clear(&c->cfg);
        wt_config_init(&c->cfg);
        set_minimal(c, "group.id");
        set_ok(c, "producer.group.id", "g");
        assert_int_equal(wt_config_finalize(&c->cfg, c->err, sizeof(c->err)),
                         WT_ERR_INVALID_ARG);
        assert_contains(c->err, "group.id");
        set_ok(c, "consumer.group.id", "g");
        assert_int_equal(wt_config_finalize(&c->cfg, c->err, sizeof(c->err)),
                         WT_OK);
}

static void test_finalize_loops(void **state) {
        ctx_t *c = *state;
        static const char *const kv[][2] = {
                {"output.topic", "out"},
                {"dlq.topic", "dlq"},
                {"output.topic.unlabeled", "unl"},
                {"route.diplomacy", "dip"},
        };
        size_t i;

        for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
                wt_config_clear(&c->cfg);
                wt_config_init(&c->cfg);
                set_minimal(c, NULL);
                set_ok(c, kv[i][0], kv[i][1]);
                set_ok(c, "input.topics", "in");
                assert_int_equal(
                        wt_config_finalize(&c->cfg, c->err, sizeof(c->err)),
                        WT_OK);
                set_ok(c, "input.topics", kv[i][1]);
                assert_int_equal(
                        wt_config_finalize(&c->cfg, c->err, sizeof(c->err)),
                        WT_ERR_INVALID_ARG);
                assert_contains(c->err, kv[i][0]);
                assert_contains(c->err, kv[i][1]);
        }
}

static void test_committed_config(void **state) {
        ctx_t *c = *state;
        const char *path = committed_config();
        rd_kafka_conf_t *cc, *pc;

        if (wt_config_load(&c->cfg, path, c->err, sizeof(c->err)))
                fail_msg("%s", c->err);
        if (wt_config_finalize(&c->cfg, c->err, sizeof(c->err)))
                fail_msg("%s", c->err);
        assert_string_equal(c->cfg.model_path, "models/conflict-v2.wtm");
        assert_int_equal(c->cfg.ninput_topics, 1);
        assert_string_equal(c->cfg.input_topics[0], "articles");
        assert_string_equal(c->cfg.output_topic, "articles.labeled");
        assert_null(c->cfg.unlabeled_topic);
        assert_string_equal(c->cfg.dlq_topic, "articles.dlq");
        assert_int_equal(c->cfg.nroutes, 3);

        cc = wt_config_kafka_conf(&c->cfg, 1, c->err, sizeof(c->err));
        if (!cc)
                fail_msg("%s", c->err);
        pc = wt_config_kafka_conf(&c->cfg, 0, c->err, sizeof(c->err));
        if (!pc)
                fail_msg("%s", c->err);
        assert_string_equal(conf_get(cc, "bootstrap.servers"),
                            "127.0.0.1:19092");
        assert_string_equal(conf_get(pc, "bootstrap.servers"),
                            "127.0.0.1:19092");
        assert_string_equal(conf_get(cc, "group.id"), "wiretag");
        rd_kafka_conf_destroy(cc);
        rd_kafka_conf_destroy(pc);
}

/** If line is a key line of the doc ("key=value", or "#key=value" with no
 *  blank after '#'), split it into key and value in place; else 0. */
static int doc_key_line(char *line, char **key, char **value) {
        char *eq;
        if (line[0] == '#') {
                if (!line[1] || line[1] == ' ' || line[1] == '#')
                        return 0;
                line++;
        }
        if (!(eq = strchr(line, '=')))
                return 0;
        *eq = '\0';
        *key = line;
        *value = eq + 1;
        return 1;
}

static void test_doc(void **state) {
        ctx_t *c = *state;
        /* Every wiretag key; adding one to the table without the doc and
         * this list is the drift this catches. */
        static const char *const keys[] = {
                "model.path",         "input.fields",
                "input.topics",       "output.topic",
                "output.topic.unlabeled", "dlq.topic",
                "route.",             "workers",
                "input.max.bytes",    "queue.max.messages",
                "queue.max.bytes",    "log.stats.interval.ms",
                "shutdown.timeout.ms", "log.level",
                "bootstrap.servers",  "group.id",
        };
        char *doc = print_doc(), *committed, *line, *save = NULL;
        wt_config_t defaults, fromdoc;
        size_t i, nlines = 0;

        committed = read_file(committed_config());
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                char pat[128];
                snprintf(pat, sizeof(pat), "\n%s", keys[i]);
                if (!strstr(doc, pat)) {
                        snprintf(pat, sizeof(pat), "\n#%s", keys[i]);
                        assert_contains(doc, pat);
                }
        }
        assert_contains(doc, "consumer.<property>");
        assert_contains(doc, "producer.<property>");
        assert_contains(doc, "security.protocol");
        assert_contains(doc, "compression.type");

        /* Every key line of the doc is accepted with the value shown,
         * and shows the real default; the committed config has each. */
        wt_config_init(&defaults);
        wt_config_init(&fromdoc);
        for (line = strtok_r(doc, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char *key, *value, pat[256];
                if (!doc_key_line(line, &key, &value))
                        continue;
                nlines++;
                if (wt_config_set(&fromdoc, key, value, c->err,
                                  sizeof(c->err)))
                        fail_msg("doc line %s=%s: %s", key, value, c->err);
                snprintf(pat, sizeof(pat), "\n%s=", key);
                if (!strstr(committed, pat)) {
                        snprintf(pat, sizeof(pat), "\n#%s=", key);
                        if (!strstr(committed, pat))
                                fail_msg("config/wiretag.properties lacks "
                                         "%s: regenerate it from "
                                         "wt_config_print_doc()",
                                         key);
                }
        }
        assert_true(nlines >= sizeof(keys) / sizeof(keys[0]));
        assert_int_equal(fromdoc.workers, defaults.workers);
        assert_int_equal(fromdoc.input_max_bytes, defaults.input_max_bytes);
        assert_int_equal(fromdoc.queue_max_messages,
                         defaults.queue_max_messages);
        assert_int_equal(fromdoc.queue_max_bytes, defaults.queue_max_bytes);
        assert_int_equal(fromdoc.stats_interval_ms,
                         defaults.stats_interval_ms);
        assert_int_equal(fromdoc.shutdown_timeout_ms,
                         defaults.shutdown_timeout_ms);
        assert_int_equal(fromdoc.log_level, defaults.log_level);
        /* With bootstrap.servers and group.id the doc is a whole config. */
        assert_int_equal(wt_config_finalize(&fromdoc, c->err,
                                            sizeof(c->err)),
                         WT_OK);

        wt_config_clear(&fromdoc);
        wt_config_clear(&defaults);
        free(committed);
        free(doc);
}

static void test_summary(void **state) {
        ctx_t *c = *state;
        char buf[2048], small[40];

        set_minimal(c, NULL);
        set_ok(c, "route.diplomacy", "dip");
        set_ok(c, "sasl.password", "hunter2");
        set_ok(c, "consumer.ssl.key.password", "k3y");
        set_ok(c, "sasl.oauthbearer.config", "principal=me");
        /* Only builds with libcurl know it; mask it when they do. */
        (void)wt_config_set(&c->cfg, "producer.sasl.oauthbearer.client.secret",
                            "s3cret", c->err, sizeof(c->err));
        set_ok(c, "sasl.username", "alice");
        wt_config_summary(&c->cfg, buf, sizeof(buf));
        assert_null(strchr(buf, '\n'));
        assert_contains(buf, "model.path=m.wtm");
        assert_contains(buf, "input.topics=in");
        assert_contains(buf, "output.topic=out");
        assert_contains(buf, "dlq.topic=dlq");
        assert_contains(buf, "route.diplomacy=dip");
        assert_contains(buf, "model.watch=false");
        /* Unset optional keys are left out. */
        assert_null(strstr(buf, "metrics.listen"));
        assert_null(strstr(buf, "output.topic.unlabeled"));
        assert_contains(buf, "bootstrap.servers=localhost:9092");
        assert_contains(buf, "sasl.username=alice");
        assert_contains(buf, "sasl.password=***");
        assert_contains(buf, "consumer.ssl.key.password=***");
        assert_contains(buf, "sasl.oauthbearer.config=***");
        assert_null(strstr(buf, "hunter2"));
        assert_null(strstr(buf, "k3y"));
        assert_null(strstr(buf, "principal=me"));
        assert_null(strstr(buf, "s3cret"));

        /* A short buffer: cut, terminated, marked. */
        memset(small, 'Z', sizeof(small));
        wt_config_summary(&c->cfg, small, sizeof(small));
        assert_int_equal(strlen(small), sizeof(small) - 1);
        assert_string_equal(small + sizeof(small) - 4, "...");
}

/** The wiretag half of the doc ("## wiretag" up to "## Kafka clients"),
 *  or the Kafka half, as a malloc'ed copy. */
static char *doc_part(const char *doc, int kafka) {
        const char *k = strstr(doc, "\n## Kafka clients");
        const char *from = kafka ? k : strstr(doc, "\n## wiretag");
        size_t len;
        char *part;
        assert_non_null(k);
        assert_non_null(from);
        len = kafka ? strlen(from) : (size_t)(k - from);
        part = malloc(len + 1);
        assert_non_null(part);
        memcpy(part, from, len);
        part[len] = '\0';
        return part;
}

/* The start-up summary is printed from the key table: set every key line
 * of the doc, and each shows as key=value. */
static void test_summary_every_key(void **state) {
        ctx_t *c = *state;
        char *doc = print_doc(), *line, *save = NULL, buf[4096];
        char *keys[64], *values[64];
        size_t n = 0, i;

        for (line = strtok_r(doc, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char *key, *value;
                if (!doc_key_line(line, &key, &value))
                        continue;
                assert_true(n < 64);
                set_ok(c, key, value);
                keys[n] = key;
                values[n++] = value;
        }
        set_ok(c, "metrics.listen", "127.0.0.1:1"); /* overrides the doc */
        wt_config_summary(&c->cfg, buf, sizeof(buf));
        for (i = 0; i < n; i++) {
                char pat[512];
                snprintf(pat, sizeof(pat), "%s=%s", keys[i],
                         strcmp(keys[i], "metrics.listen") ? values[i]
                                                           : "127.0.0.1:1");
                assert_contains(buf, pat);
        }
        assert_true(n > 20);
        free(doc);
}

/* Every wiretag key's namespace is wiretag's: the key with a letter
 * added is an unknown wiretag key, not a librdkafka property. */
static void test_namespaces_every_key(void **state) {
        ctx_t *c = *state;
        char *doc = print_doc(), *part = doc_part(doc, 0), *line;
        char *save = NULL;
        size_t n = 0;

        for (line = strtok_r(part, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char *key, *value, typo[256];
                if (!doc_key_line(line, &key, &value) ||
                    !strncmp(key, "route.", 6))
                        continue;
                snprintf(typo, sizeof(typo), "%sx", key);
                set_bad(c, typo, value);
                assert_contains(c->err, "unknown wiretag key");
                n++;
        }
        assert_true(n >= 18);
        set_bad(c, "metrics.lsten", "127.0.0.1:9464");
        assert_contains(c->err, "unknown wiretag key");
        free(part);
        free(doc);
}

/** value as librdkafka reads it back once key is set to it. */
static const char *rk_spelling(const char *key, const char *value) {
        static char buf[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char rkerr[256];
        if (rd_kafka_conf_set(conf, key, value, rkerr, sizeof(rkerr)) !=
            RD_KAFKA_CONF_OK)
                fail_msg("%s=%s: %s", key, value, rkerr);
        snprintf(buf, sizeof(buf), "%s", conf_get(conf, key));
        rd_kafka_conf_destroy(conf);
        return buf;
}

/* The Kafka half of the doc is printed from the tables the code uses:
 * each default it lists is what the client gets, and each property it
 * says wiretag refuses is refused. */
static void test_doc_kafka(void **state) {
        ctx_t *c = *state;
        char *doc = print_doc(), *part = doc_part(doc, 1), *line;
        char *save = NULL;
        rd_kafka_conf_t *cc, *pc;
        int section = 0; /* 1: defaults, 2: controlled */
        size_t ndefaults = 0, nrefused = 0;
        rd_kafka_conf_t *client = NULL;

        set_minimal(c, NULL);
        cc = wt_config_kafka_conf(&c->cfg, 1, c->err, sizeof(c->err));
        pc = wt_config_kafka_conf(&c->cfg, 0, c->err, sizeof(c->err));
        assert_non_null(cc);
        assert_non_null(pc);
        for (line = strtok_r(part, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char *p, *tok, *tsave = NULL;
                if (strstr(line, "wiretag sets these first")) {
                        section = 1;
                        continue;
                }
                if (strstr(line, "wiretag controls these")) {
                        section = 2;
                        continue;
                }
                if (strncmp(line, "#   ", 4)) { /* the list ends */
                        section = 0;
                        continue;
                }
                if (section == 1) {
                        p = line + 1;
                        if (strstr(p, "consumer:"))
                                client = cc, p = strstr(p, ":") + 1;
                        else if (strstr(p, "producer:"))
                                client = pc, p = strstr(p, ":") + 1;
                        assert_non_null(client);
                        for (tok = strtok_r(p, " ,", &tsave); tok;
                             tok = strtok_r(NULL, " ,", &tsave)) {
                                char *eq = strchr(tok, '=');
                                assert_non_null(eq);
                                *eq = '\0';
                                /* As librdkafka spells it back
                                 * ("earliest" reads "smallest"). */
                                char want[512];
                                snprintf(want, sizeof(want), "%s",
                                         rk_spelling(tok, eq + 1));
                                assert_string_equal(conf_get(client, tok),
                                                    want);
                                ndefaults++;
                        }
                } else if (section == 2 && !strncmp(line, "#   ", 4) &&
                           line[4] != ' ') {
                        char key[256], *colon, *eq;
                        const char *value = "false";
                        p = line + 4;
                        colon = strchr(p, ':');
                        assert_non_null(colon);
                        *colon = '\0';
                        if (!strncmp(p, "consumer ", 9) ||
                            !strncmp(p, "producer ", 9))
                                p[8] = '.';
                        if ((eq = strchr(p, '='))) {
                                *eq = '\0';
                                value = eq + 1;
                        }
                        snprintf(key, sizeof(key), "%s", p);
                        set_bad(c, key, value);
                        assert_contains(c->err, "wiretag");
                        nrefused++;
                }
        }
        assert_int_equal(ndefaults, 7);
        assert_int_equal(nrefused, 4);
        rd_kafka_conf_destroy(cc);
        rd_kafka_conf_destroy(pc);
        free(part);
        free(doc);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(test_defaults),
                T(test_every_key),
                T(test_bad_values),
                T(test_unknown_wiretag_key),
                T(test_unknown_kafka_key),
                T(test_forbidden_keys),
                T(test_scopes),
                T(test_kafka_conf_failure),
                T(test_override),
                T(test_syntax),
                T(test_load_missing),
                T(test_finalize),
                T(test_finalize_kafka),
                T(test_finalize_loops),
                T(test_committed_config),
                T(test_doc),
                T(test_summary),
                T(test_summary_every_key),
                T(test_namespaces_every_key),
                T(test_doc_kafka),
#undef T
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
