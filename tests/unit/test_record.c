/*
 * wiretag - test_record.c: the labeled record, spliced.
 *
 * wt_record_build() must give the record that adding the "wiretag" member
 * with jansson and serialising would give (same JSON value, same score
 * text), keep the article's bytes as they came, escape label and model
 * names, replace an existing "wiretag" member, and allocate nothing once
 * its buffer is large enough.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt_model_int.h"
#include "wt_record.h"
#include "wt_test.h"

/* A model with names only: the record needs nothing else. */
static wt_model_t *names_model(const char *name, const char *const *labels,
                               uint32_t n) {
        wt_model_t *m = wt_model_alloc(n);
        uint32_t i;
        assert_non_null(m);
        m->name = strdup(name);
        for (i = 0; i < n; i++)
                m->labels[i] = strdup(labels[i]);
        strcpy(m->id, "0123456789abcdef");
        return m;
}

/* The record through jansson: what wiretag published before splicing. */
static char *via_jansson(const char *json, const wt_model_t *m,
                         const wt_prediction_t *pred) {
        json_error_t e;
        json_t *root = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        char *txt;
        assert_non_null(root);
        json_object_set_new(root, "wiretag", wt_prediction_json(m, pred));
        txt = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
        json_decref(root);
        return txt;
}

static void check_same_value(const char *json, const wt_model_t *m,
                             const wt_prediction_t *pred, wt_recbuf_t *rb) {
        json_error_t e;
        json_t *root = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        json_t *got, *want;
        char *ref = via_jansson(json, m, pred);
        assert_non_null(root);
        assert_int_equal(wt_record_build(json, strlen(json), root, m, pred,
                                         rb),
                         WT_OK);
        assert_int_equal(strlen(rb->data), rb->len);
        got = json_loads(rb->data, JSON_ALLOW_NUL, &e);
        if (!got)
                fail_msg("record is not JSON (%s): %s", e.text, rb->data);
        want = json_loads(ref, JSON_ALLOW_NUL, &e);
        assert_non_null(want);
        if (!json_equal(got, want))
                fail_msg("record %s\n  differs from %s", rb->data, ref);
        json_decref(got);
        json_decref(want);
        json_decref(root);
        free(ref);
}

static void test_compact_article_is_byte_identical(void **state) {
        static const char *const labels[] = {"diplomacy", "militancy"};
        wt_model_t *m = names_model("conflict", labels, 2);
        wt_tag_t tags[] = {{1, 0.8125f}, {0, 0.0123456789f}};
        wt_prediction_t pred = {NULL, tags, 2, 0, 0};
        wt_recbuf_t rb = {0};
        const char *json = "{\"id\":\"a1\",\"title\":\"T\",\"text\":\"x\"}";
        json_error_t e;
        json_t *root = json_loads(json, 0, &e);
        char *ref = via_jansson(json, m, &pred);
        (void)state;
        assert_int_equal(wt_record_build(json, strlen(json), root, m, &pred,
                                         &rb),
                         WT_OK);
        assert_string_equal(rb.data, ref);
        free(ref);
        json_decref(root);
        wt_recbuf_free(&rb);
        wt_model_destroy(m);
}

static void test_same_value_as_jansson(void **state) {
        static const char *const labels[] = {"a", "b", "c"};
        static const char *const inputs[] = {
                /* pretty-printed, trailing whitespace and newlines */
                "{\n  \"title\": \"Talks\",\n  \"text\": \"x\"\n}\n\r\n \t",
                /* numbers, escapes, unicode and nesting kept as they are */
                ("{\"text\":\"caf\\u00e9 \\\"q\\\" \xe2\x82\xac\",\"n\":1.50,"
                 "\"big\":-1234567890123,\"e\":1E+2,\"o\":{\"k\":[1,{}]}}"),
                /* a \u0000 inside a string */
                "{\"text\":\"a\\u0000b\"}",
                /* only the configured field */
                "{\"text\":\"\"}",
        };
        float scores[] = {1.0f, 0.5f, 1e-7f, 0.999999f, 123456.0f, 0.1f};
        size_t i, k;
        wt_model_t *m = names_model("m", labels, 3);
        wt_recbuf_t rb = {0};
        (void)state;
        for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
                for (k = 0; k < sizeof(scores) / sizeof(scores[0]); k++) {
                        wt_tag_t tags[] = {{2, scores[k]}, {0, 0.25f}};
                        wt_prediction_t pred = {NULL, tags, 1 + k % 2, 0, 0};
                        check_same_value(inputs[i], m, &pred, &rb);
                }
        {
                wt_prediction_t none = {NULL, NULL, 0, 0, 0};
                check_same_value(inputs[0], m, &none, &rb);
                assert_non_null(strstr(rb.data, "\"labels\":[]"));
        }
        wt_recbuf_free(&rb);
        wt_model_destroy(m);
}

static void test_score_text_is_janssons(void **state) {
        /* Each score printed exactly as JSON_REAL_PRECISION(6) prints it. */
        static const char *const labels[] = {"x"};
        float scores[] = {1.0f, 0.0f, 0.5f, 3e-5f, 1e-12f, 0.123456789f,
                          2.0f, 100000.0f, 1234567.0f, 0.9999999f,
                          -2.5e-10f, 1e20f, -0.0f};
        wt_model_t *m = names_model("m", labels, 1);
        wt_recbuf_t rb = {0};
        const char *json = "{\"text\":\"t\"}";
        size_t k;
        (void)state;
        for (k = 0; k < sizeof(scores) / sizeof(scores[0]); k++) {
                wt_tag_t tags[] = {{0, scores[k]}};
                wt_prediction_t pred = {NULL, tags, 1, 0, 0};
                json_error_t e;
                json_t *root = json_loads(json, 0, &e);
                char *ref = via_jansson(json, m, &pred);
                assert_int_equal(wt_record_build(json, strlen(json), root, m,
                                                 &pred, &rb),
                                 WT_OK);
                assert_string_equal(rb.data, ref);
                free(ref);
                json_decref(root);
        }
        wt_recbuf_free(&rb);
        wt_model_destroy(m);
}

static void test_names_are_escaped(void **state) {
        static const char *const labels[] = {"say \"no\"", "back\\slash",
                                             "tab\there\x01"};
        wt_model_t *m = names_model("model \"q\"\n", labels, 3);
        wt_tag_t tags[] = {{0, 0.9f}, {1, 0.8f}, {2, 0.7f}};
        wt_prediction_t pred = {NULL, tags, 3, 0, 0};
        wt_recbuf_t rb = {0};
        (void)state;
        check_same_value("{\"text\":\"t\"}", m, &pred, &rb);
        wt_recbuf_free(&rb);
        wt_model_destroy(m);
}

static void test_existing_member_is_replaced(void **state) {
        static const char *const labels[] = {"a"};
        wt_model_t *m = names_model("m", labels, 1);
        wt_tag_t tags[] = {{0, 0.75f}};
        wt_prediction_t pred = {NULL, tags, 1, 0, 0};
        wt_recbuf_t rb = {0};
        const char *json = "{\"text\":\"t\",\"wiretag\":{\"old\":true}}";
        (void)state;
        check_same_value(json, m, &pred, &rb);
        assert_null(strstr(rb.data, "old"));
        wt_recbuf_free(&rb);
        wt_model_destroy(m);
}

static void test_not_an_object_is_refused(void **state) {
        static const char *const labels[] = {"a"};
        wt_model_t *m = names_model("m", labels, 1);
        wt_prediction_t pred = {NULL, NULL, 0, 0, 0};
        wt_recbuf_t rb = {0};
        json_t *arr = json_array();
        (void)state;
        assert_int_equal(wt_record_build("[1]", 3, arr, m, &pred, &rb),
                         WT_ERR_NOT_OBJECT);
        assert_int_equal(wt_record_build("", 0, arr, m, &pred, &rb),
                         WT_ERR_NOT_OBJECT);
        json_decref(arr);
        wt_recbuf_free(&rb);
        wt_model_destroy(m);
}

static void test_buffer_is_reused(void **state) {
        static const char *const labels[] = {"a"};
        wt_model_t *m = names_model("m", labels, 1);
        wt_tag_t tags[] = {{0, 0.75f}};
        wt_prediction_t pred = {NULL, tags, 1, 0, 0};
        wt_recbuf_t rb = {0};
        const char *big = "{\"text\":\"a long enough article body\"}";
        const char *small = "{\"text\":\"b\"}";
        json_error_t e;
        json_t *rbig = json_loads(big, 0, &e), *rsmall = json_loads(small, 0, &e);
        char *first;
        size_t cap;
        (void)state;
        assert_int_equal(wt_record_build(big, strlen(big), rbig, m, &pred, &rb),
                         WT_OK);
        first = rb.data;
        cap = rb.cap;
        assert_int_equal(wt_record_build(small, strlen(small), rsmall, m,
                                         &pred, &rb),
                         WT_OK);
        assert_ptr_equal(rb.data, first);
        assert_int_equal(rb.cap, cap);
        assert_non_null(strstr(rb.data, "\"text\":\"b\""));
        json_decref(rbig);
        json_decref(rsmall);
        wt_recbuf_free(&rb);
        wt_model_destroy(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_compact_article_is_byte_identical),
                cmocka_unit_test(test_same_value_as_jansson),
                cmocka_unit_test(test_score_text_is_janssons),
                cmocka_unit_test(test_names_are_escaped),
                cmocka_unit_test(test_existing_member_is_replaced),
                cmocka_unit_test(test_not_an_object_is_refused),
                cmocka_unit_test(test_buffer_is_reused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
