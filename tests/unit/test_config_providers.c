/*
 * wiretag - test_config_providers.c: ${env:NAME} and ${file:/path} in
 * `wiretag run`'s properties (wt_config_providers.c), the masking of what
 * they bring in, their errors; and log.format=json (wt_log).
 */
#define _GNU_SOURCE /* setenv, open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "wt_config.h"
#include "wt_log.h"
#include "wt_test.h"

typedef struct ctx {
        wt_config_t cfg;
        char dir[256];
        char path[512];   /* the .properties file */
        char secret[512]; /* a secret file */
        char err[1024];
        char sum[4096];
} ctx_t;

static const char *const wt_files[] = {"wt.properties", "secret"};

static int setup(void **state) {
        ctx_t *c = calloc(1, sizeof(*c));
        if (!c)
                return -1;
        wt_config_init(&c->cfg);
        wt_test_tmpdir(c->dir, sizeof(c->dir));
        snprintf(c->path, sizeof(c->path), "%s/wt.properties", c->dir);
        snprintf(c->secret, sizeof(c->secret), "%s/secret", c->dir);
        *state = c;
        return 0;
}

static int teardown(void **state) {
        ctx_t *c = *state;
        wt_config_clear(&c->cfg);
        wt_test_rmdir(c->dir, wt_files, 2);
        free(c);
        unsetenv("WT_TEST_PW");
        unsetenv("WT_TEST_BROKERS");
        return 0;
}

/* The minimal config, with the lines in extra, loaded from a file. */
static wt_err_t load(ctx_t *c, const char *extra) {
        char content[4096];
        snprintf(content, sizeof(content),
                 "model.path=m.wtm\ninput.topics=in\noutput.topic=out\n"
                 "dlq.topic=dlq\ngroup.id=g\n%s",
                 extra);
        wt_test_write_str(c->path, content);
        c->err[0] = '\0';
        return wt_config_load(&c->cfg, c->path, c->err, sizeof(c->err));
}

/* The passthrough value of key (no scope), or NULL. */
static const char *kafka_value(const ctx_t *c, const char *key) {
        size_t i;
        for (i = 0; i < c->cfg.nkafka; i++)
                if (!strcmp(c->cfg.kafka[i].key, key))
                        return c->cfg.kafka[i].value;
        return NULL;
}

static void test_env_and_file(void **state) {
        ctx_t *c = *state;
        char lines[2048];

        setenv("WT_TEST_PW", "hunter2", 1);
        setenv("WT_TEST_BROKERS", "k1:9092,k2:9092", 1);
        wt_test_write_str(c->secret, "s3cret-from-file\n"); /* one \n goes */
        snprintf(lines, sizeof(lines),
                 "bootstrap.servers=${env:WT_TEST_BROKERS}\n"
                 "security.protocol=sasl_ssl\n"
                 "sasl.mechanisms=SCRAM-SHA-512\n"
                 "sasl.username=wiretag\n"
                 "sasl.password=${file:%s}\n"
                 "ssl.key.password=${env:WT_TEST_PW}\n"
                 "client.id=pre-${env:WT_TEST_PW}-post\n"
                 "instance.id=${notours}\n",
                 c->secret);
        if (load(c, lines))
                fail_msg("load: %s", c->err);
        assert_string_equal(kafka_value(c, "bootstrap.servers"),
                            "k1:9092,k2:9092");
        assert_string_equal(kafka_value(c, "sasl.password"),
                            "s3cret-from-file");
        assert_string_equal(kafka_value(c, "ssl.key.password"), "hunter2");
        assert_string_equal(kafka_value(c, "client.id"), "pre-hunter2-post");
        /* "${" of something else is kept as written. */
        assert_string_equal(c->cfg.instance_id, "${notours}");

        /* The summary shows references and masks, never the values. */
        wt_config_summary(&c->cfg, c->sum, sizeof(c->sum));
        assert_contains(c->sum, "bootstrap.servers=${env:WT_TEST_BROKERS}");
        assert_contains(c->sum, "sasl.password=***");
        assert_contains(c->sum, "ssl.key.password=***");
        assert_contains(c->sum, "client.id=pre-${env:WT_TEST_PW}-post");
        assert_contains(c->sum, "sasl.username=wiretag");
        assert_null(strstr(c->sum, "hunter2"));
        assert_null(strstr(c->sum, "s3cret"));
        assert_null(strstr(c->sum, "k1:9092"));
}

static void test_file_newlines(void **state) {
        ctx_t *c = *state;
        char ref[600];
        snprintf(ref, sizeof(ref), "${file:%s}", c->secret);
        /* Exactly one trailing newline goes (\n or \r\n). */
        wt_test_write_str(c->secret, "two\n\n");
        assert_int_equal(wt_config_set_expanded(&c->cfg, "client.id", ref,
                                                c->err, sizeof(c->err)),
                         WT_OK);
        assert_string_equal(kafka_value(c, "client.id"), "two\n");
        wt_test_write_str(c->secret, "crlf\r\n");
        assert_int_equal(wt_config_set_expanded(&c->cfg, "client.id", ref,
                                                c->err, sizeof(c->err)),
                         WT_OK);
        assert_string_equal(kafka_value(c, "client.id"), "crlf");
        /* Set again without a reference: shown as it is again. */
        assert_int_equal(wt_config_set_expanded(&c->cfg, "client.id", "plain",
                                                c->err, sizeof(c->err)),
                         WT_OK);
        assert_null(wt_config_provided(&c->cfg, "client.id"));
}

/* A missing variable or file stops start-up, naming key and reference;
 * an invalid expanded value is reported with the reference in its
 * place. */
static void test_errors(void **state) {
        ctx_t *c = *state;
        char lines[1024];

        unsetenv("WT_TEST_PW");
        assert_int_equal(load(c, "sasl.password=${env:WT_TEST_PW}\n"),
                         WT_ERR_INVALID_ARG);
        assert_contains(c->err, "wt.properties:6");
        assert_contains(c->err, "sasl.password");
        assert_contains(c->err, "${env:WT_TEST_PW}");
        assert_contains(c->err, "not set");

        snprintf(lines, sizeof(lines), "ssl.key.password=${file:%s/nope}\n",
                 c->dir);
        assert_int_equal(load(c, lines), WT_ERR_IO);
        assert_contains(c->err, "ssl.key.password");
        assert_contains(c->err, "/nope}");
        assert_contains(c->err, "No such file");

        assert_int_equal(load(c, "ssl.key.password=${file:/dev/null}\n"),
                         WT_ERR_IO);
        assert_contains(c->err, "${file:/dev/null}: not a regular file");

        assert_int_equal(load(c, "sasl.password=${env:WT_TEST_PW\n"),
                         WT_ERR_INVALID_ARG);
        assert_contains(c->err, "closing '}'");
        assert_int_equal(load(c, "sasl.password=${env:}\n"),
                         WT_ERR_INVALID_ARG);

        setenv("WT_TEST_PW", "notanumber-hunter2", 1);
        assert_int_equal(load(c, "workers=${env:WT_TEST_PW}\n"),
                         WT_ERR_INVALID_ARG);
        assert_contains(c->err, "workers");
        assert_contains(c->err, "${env:WT_TEST_PW}");
        assert_null(strstr(c->err, "hunter2"));
}

/* ------------------------------------------------------ log.format=json */

static void test_log_json(void **state) {
        char *buf = NULL;
        size_t size = 0, lines = 0;
        FILE *fp = open_memstream(&buf, &size);
        const char *fields[] = {"client", "rdkafka#consumer-1", "facility",
                                "FAIL", NULL};
        char big[5000];
        const char *p;
        (void)state;

        assert_non_null(fp);
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        memcpy(big + 2046, "\xc3\xa9", 2); /* é across the cut at 2047 */
        wt_log_set_stream(fp);
        wt_log_set_level(WT_LOG_INFO);
        wt_log_set_format(WT_LOG_FORMAT_JSON);
        wt_log_info("plain %d", 42);
        wt_log_warn("quote \" backslash \\ newline \n tab \t ctl \x01 é");
        wt_log_kv(WT_LOG_ERROR, fields, "librdkafka: broker down");
        wt_log_debug("dropped at info");
        wt_log_info("%s", big);
        wt_log_set_format(WT_LOG_FORMAT_TEXT);
        wt_log_info("a text line");
        wt_log_set_stream(NULL);
        assert_int_equal(fclose(fp), 0);

        for (p = buf; *p && lines < 4; lines++) {
                const char *nl = strchr(p, '\n');
                json_error_t jerr;
                json_t *o;
                assert_non_null(nl);
                o = json_loadb(p, (size_t)(nl - p), 0, &jerr);
                if (!o)
                        fail_msg("line %zu is not JSON (%s): %.*s", lines + 1,
                                 jerr.text, (int)(nl - p), p);
                assert_true(json_is_string(json_object_get(o, "time")));
                assert_int_equal(
                        strlen(json_string_value(json_object_get(o, "time"))),
                        strlen("2026-11-27T21:40:12.345Z"));
                if (lines == 0) {
                        assert_string_equal(json_string_value(json_object_get(
                                                    o, "level")),
                                            "info");
                        assert_string_equal(json_string_value(json_object_get(
                                                    o, "message")),
                                            "plain 42");
                } else if (lines == 1) {
                        assert_string_equal(
                                json_string_value(
                                        json_object_get(o, "message")),
                                "quote \" backslash \\ newline \n tab \t "
                                "ctl \x01 é");
                } else if (lines == 2) {
                        assert_string_equal(json_string_value(json_object_get(
                                                    o, "level")),
                                            "error");
                        assert_string_equal(json_string_value(json_object_get(
                                                    o, "client")),
                                            "rdkafka#consumer-1");
                        assert_string_equal(json_string_value(json_object_get(
                                                    o, "facility")),
                                            "FAIL");
                } else {
                        /* Cut at 2047 bytes, not inside "é". */
                        assert_int_equal(strlen(json_string_value(
                                                 json_object_get(o,
                                                                 "message"))),
                                         2046);
                }
                json_decref(o);
                p = nl + 1;
        }
        assert_int_equal(lines, 4);
        /* Then text again: "TIME INFO  message". */
        assert_non_null(strstr(p, "Z INFO  a text line\n"));
        free(buf);
}

/* The start-up summary logged as JSON keeps the masks. */
static void test_log_json_summary(void **state) {
        ctx_t *c = *state;
        char *buf = NULL;
        size_t size = 0;
        FILE *fp;

        setenv("WT_TEST_PW", "hunter2", 1);
        if (load(c, "bootstrap.servers=b:9092\nsasl.password=${env:WT_TEST_PW}\n"
                    "sasl.username=${env:WT_TEST_PW}\n"))
                fail_msg("load: %s", c->err);
        wt_config_summary(&c->cfg, c->sum, sizeof(c->sum));
        fp = open_memstream(&buf, &size);
        assert_non_null(fp);
        wt_log_set_stream(fp);
        wt_log_set_format(WT_LOG_FORMAT_JSON);
        wt_log_info("wiretag run starting: %s", c->sum);
        wt_log_set_format(WT_LOG_FORMAT_TEXT);
        wt_log_set_stream(NULL);
        assert_int_equal(fclose(fp), 0);
        assert_contains(buf, "sasl.password=***");
        assert_contains(buf, "sasl.username=${env:WT_TEST_PW}");
        assert_null(strstr(buf, "hunter2"));
        free(buf);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_env_and_file),
                T(test_file_newlines),
                T(test_errors),
                cmocka_unit_test(test_log_json),
                T(test_log_json_summary),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
