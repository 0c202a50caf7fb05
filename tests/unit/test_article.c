/*
 * wiretag - test_article.c: unit tests for wt_article (JSON article ->
 * text segments), the input contract of the stream processor.
 *
 * Every input is copied into a malloc'd buffer of exactly its length, no
 * NUL after it, as a Kafka payload arrives: ASan catches a read past it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt_article.h"
#include "wt_features.h"
#include "wt_test.h"

/** Parse buf[0..len) from an exact-size copy. */
static wt_err_t parse_n(const char *json, size_t len,
                        const wt_feature_conf_t *conf, size_t max_bytes,
                        wt_article_t *art, char *err, size_t errsize) {
        char *buf = wt_test_dup_exact(json, len);
        wt_err_t e;
        err[0] = '\0';
        e = wt_article_parse(buf, len, conf, max_bytes, art, err, errsize);
        free(buf);
        return e;
}

static wt_err_t parse(const char *json, const wt_feature_conf_t *conf,
                      size_t max_bytes, wt_article_t *art, char *err,
                      size_t errsize) {
        return parse_n(json, strlen(json), conf, max_bytes, art, err,
                       errsize);
}

/** Expect failure `code`, a message, and a cleared article. */
static void expect_fail_n(const char *json, size_t len,
                          const wt_feature_conf_t *conf, size_t max_bytes,
                          wt_err_t code) {
        wt_article_t art;
        char err[512];
        wt_err_t e;
        memset(&art, 0xA5, sizeof(art));
        e = parse_n(json, len, conf, max_bytes, &art, err, sizeof(err));
        if (e != code)
                fail_msg("input %.*s: got %s (%s), expected %s", (int)len,
                         json, wt_err_name(e), err, wt_err_name(code));
        assert_true(strlen(err) > 0);
        assert_null(art.root);
        wt_article_clear(&art); /* harmless on a failed parse */
}

static void expect_fail(const char *json, const wt_feature_conf_t *conf,
                        size_t max_bytes, wt_err_t code) {
        expect_fail_n(json, strlen(json), conf, max_bytes, code);
}

static void expect_seg(const wt_article_t *art, unsigned i, const char *s,
                       size_t len) {
        assert_true(i < art->segs.n);
        assert_int_equal(art->segs.len[i], len);
        assert_memory_equal(art->segs.text[i], s, len);
}

/* ------------------------------------------------------------- tests */

static void test_default_fields(void **state) {
        wt_feature_conf_t c;
        wt_article_t art;
        char err[256];
        (void)state;
        wt_feature_conf_default(&c);

        assert_int_equal(parse("{\"title\": \"Quake\", \"text\": \"A strong "
                               "quake hit.\", \"id\": 7}",
                               &c, 0, &art, err, sizeof(err)),
                         WT_OK);
        assert_non_null(art.root);
        assert_int_equal(art.segs.n, 2);
        expect_seg(&art, 0, "Quake", 5);
        expect_seg(&art, 1, "A strong quake hit.", 19);
        wt_article_clear(&art);
        assert_null(art.root);
        assert_int_equal(art.segs.n, 0);

        /* Order follows the configuration, not the document. */
        assert_int_equal(parse("{\"text\": \"body\", \"title\": \"head\"}", &c,
                               0, &art, err, sizeof(err)),
                         WT_OK);
        assert_int_equal(art.segs.n, 2);
        expect_seg(&art, 0, "head", 4);
        expect_seg(&art, 1, "body", 4);
        wt_article_clear(&art);

        /* One of the fields is enough. */
        assert_int_equal(parse("{\"text\": \"only body\"}", &c, 0, &art, err,
                               sizeof(err)),
                         WT_OK);
        assert_int_equal(art.segs.n, 1);
        expect_seg(&art, 0, "only body", 9);
        wt_article_clear(&art);

        /* An empty string is present (a segment of length 0). */
        assert_int_equal(parse("{\"title\": \"\"}", &c, 0, &art, err,
                               sizeof(err)),
                         WT_OK);
        assert_int_equal(art.segs.n, 1);
        assert_int_equal(art.segs.len[0], 0);
        wt_article_clear(&art);

        /* Escapes are decoded; UTF-8 is kept. */
        assert_int_equal(parse("{\"title\": \"a\\nb \\u00e9 \\ud83d\\ude00 "
                               "\xe0\xa6\x95\"}",
                               &c, 0, &art, err, sizeof(err)),
                         WT_OK);
        expect_seg(&art, 0, "a\nb \xc3\xa9 \xf0\x9f\x98\x80 \xe0\xa6\x95", 15);
        wt_article_clear(&art);

        /* Duplicate keys: the last wins. */
        assert_int_equal(parse("{\"text\": \"first\", \"text\": \"second\"}",
                               &c, 0, &art, err, sizeof(err)),
                         WT_OK);
        expect_seg(&art, 0, "second", 6);
        wt_article_clear(&art);

        /* Surrounding whitespace and a trailing newline (JSON Lines). */
        assert_int_equal(parse("  {\"text\": \"x\"}\r\n", &c, 0, &art, err,
                               sizeof(err)),
                         WT_OK);
        wt_article_clear(&art);
        wt_article_clear(NULL); /* accepted */
}

static void test_custom_fields(void **state) {
        wt_feature_conf_t c;
        wt_article_t art;
        char err[256];
        (void)state;
        wt_feature_conf_default(&c);
        assert_int_equal(wt_feature_conf_set_fields(&c, "headline,body", err,
                                                    sizeof(err)),
                         WT_OK);
        assert_int_equal(parse("{\"headline\": \"H\", \"body\": \"B\", "
                               "\"title\": \"ignored\", \"text\": \"no\"}",
                               &c, 0, &art, err, sizeof(err)),
                         WT_OK);
        assert_int_equal(art.segs.n, 2);
        expect_seg(&art, 0, "H", 1);
        expect_seg(&art, 1, "B", 1);
        wt_article_clear(&art);

        /* title/text alone no longer count. */
        expect_fail("{\"title\": \"t\", \"text\": \"x\"}", &c, 0,
                    WT_ERR_FIELD_MISSING);
        {
                char err2[512];
                wt_article_t a2;
                err2[0] = '\0';
                assert_int_equal(parse("{\"title\": \"t\"}", &c, 0, &a2, err2,
                                       sizeof(err2)),
                                 WT_ERR_FIELD_MISSING);
                /* The message names what was looked for. */
                assert_non_null(strstr(err2, "headline"));
                assert_non_null(strstr(err2, "body"));
        }

        /* wt_article_from_json on an already parsed object. */
        {
                json_t *root = json_pack("{s:s, s:i}", "body", "text here",
                                         "headline", 3);
                wt_segments_t segs;
                assert_non_null(root);
                err[0] = '\0';
                assert_int_equal(wt_article_from_json(root, &c, &segs, err,
                                                      sizeof(err)),
                                 WT_ERR_FIELD_TYPE);
                assert_non_null(strstr(err, "headline"));
                json_object_set_new(root, "headline", json_string("ok"));
                assert_int_equal(wt_article_from_json(root, &c, &segs, err,
                                                      sizeof(err)),
                                 WT_OK);
                assert_int_equal(segs.n, 2);
                assert_int_equal(segs.len[1], 9);
                json_decref(root);
        }
}

static void test_errors(void **state) {
        wt_feature_conf_t c;
        (void)state;
        wt_feature_conf_default(&c);

        /* Missing fields. */
        expect_fail("{}", &c, 0, WT_ERR_FIELD_MISSING);
        expect_fail("{\"id\": \"x\", \"body\": \"y\"}", &c, 0,
                    WT_ERR_FIELD_MISSING);
        /* null counts as absent. */
        expect_fail("{\"title\": null, \"text\": null}", &c, 0,
                    WT_ERR_FIELD_MISSING);

        /* Wrong types. */
        expect_fail("{\"title\": 5, \"text\": \"x\"}", &c, 0,
                    WT_ERR_FIELD_TYPE);
        expect_fail("{\"text\": 1.5}", &c, 0, WT_ERR_FIELD_TYPE);
        expect_fail("{\"text\": true}", &c, 0, WT_ERR_FIELD_TYPE);
        expect_fail("{\"text\": [\"a\"]}", &c, 0, WT_ERR_FIELD_TYPE);
        expect_fail("{\"text\": {\"a\": \"b\"}}", &c, 0, WT_ERR_FIELD_TYPE);

        /* Not JSON. */
        expect_fail("", &c, 0, WT_ERR_JSON);
        expect_fail("   ", &c, 0, WT_ERR_JSON);
        expect_fail("{", &c, 0, WT_ERR_JSON);
        expect_fail("{\"text\": \"x\"", &c, 0, WT_ERR_JSON);
        expect_fail("{\"text\": \"unterminated}", &c, 0, WT_ERR_JSON);
        expect_fail("{\"text\": 'single'}", &c, 0, WT_ERR_JSON);
        expect_fail("{text: \"x\"}", &c, 0, WT_ERR_JSON);
        expect_fail("{\"text\": \"x\",}", &c, 0, WT_ERR_JSON);
        expect_fail("{\"text\": \"x\"} trailing", &c, 0, WT_ERR_JSON);
        expect_fail("{\"text\": \"x\"}{\"text\": \"y\"}", &c, 0, WT_ERR_JSON);
        expect_fail("{\"text\": \"bad \\x escape\"}", &c, 0, WT_ERR_JSON);
        expect_fail("{\"text\": \"lone \\ud800 surrogate\"}", &c, 0,
                    WT_ERR_JSON);

        /* Not an object. */
        expect_fail("[{\"text\": \"x\"}]", &c, 0, WT_ERR_NOT_OBJECT);
        expect_fail("[]", &c, 0, WT_ERR_NOT_OBJECT);
        {
                wt_article_t art;
                char err[256];
                /* Scalars at top level: jansson may reject them as JSON
                 * (no JSON_DECODE_ANY) or we reject them as non-objects;
                 * either way they fail with a message. */
                wt_err_t e = parse("\"text\"", &c, 0, &art, err, sizeof(err));
                assert_true(e == WT_ERR_JSON || e == WT_ERR_NOT_OBJECT);
                assert_true(strlen(err) > 0);
                e = parse("42", &c, 0, &art, err, sizeof(err));
                assert_true(e == WT_ERR_JSON || e == WT_ERR_NOT_OBJECT);
                assert_true(strlen(err) > 0);
        }
}

static void test_json_error_position(void **state) {
        wt_feature_conf_t c;
        wt_article_t art;
        char err[512];
        (void)state;
        wt_feature_conf_default(&c);
        assert_int_equal(parse("{\"title\": \"a\",\n \"text\": oops}", &c, 0,
                               &art, err, sizeof(err)),
                         WT_ERR_JSON);
        /* "with line/column": the error is on line 2. */
        assert_non_null(strstr(err, "line 2"));
}

static void test_invalid_utf8(void **state) {
        wt_feature_conf_t c;
        (void)state;
        wt_feature_conf_default(&c);
        /* Inside a text field. */
        expect_fail("{\"text\": \"caf\xe9\"}", &c, 0, WT_ERR_UTF8);
        /* Truncated multi-byte sequence. */
        expect_fail("{\"text\": \"\xe0\xa6\"}", &c, 0, WT_ERR_UTF8);
        /* Overlong encoding of '/'. */
        expect_fail("{\"text\": \"\xc0\xaf\"}", &c, 0, WT_ERR_UTF8);
        /* Encoded surrogate. */
        expect_fail("{\"text\": \"\xed\xa0\x80\"}", &c, 0, WT_ERR_UTF8);
        /* Beyond U+10FFFF. */
        expect_fail("{\"text\": \"\xf4\x90\x80\x80\"}", &c, 0, WT_ERR_UTF8);
        /* Anywhere, not only in the text fields. */
        expect_fail("{\"text\": \"fine\", \"other\": \"\xff\"}", &c, 0,
                    WT_ERR_UTF8);
        expect_fail("{\"text\": \"fine\", \"k\xfe\": 1}", &c, 0, WT_ERR_UTF8);
}

static void test_too_large(void **state) {
        wt_feature_conf_t c;
        wt_article_t art;
        char err[256];
        const char *doc = "{\"text\": \"twenty-something bytes\"}";
        size_t len = strlen(doc);
        (void)state;
        wt_feature_conf_default(&c);
        expect_fail(doc, &c, len - 1, WT_ERR_TOO_LARGE);
        expect_fail(doc, &c, 1, WT_ERR_TOO_LARGE);
        /* Exactly at the limit is fine; 0 means no limit. */
        assert_int_equal(parse(doc, &c, len, &art, err, sizeof(err)), WT_OK);
        wt_article_clear(&art);
        assert_int_equal(parse(doc, &c, 0, &art, err, sizeof(err)), WT_OK);
        wt_article_clear(&art);
        /* The size check comes first: an oversized non-JSON payload is
         * TOO_LARGE, and is not parsed. */
        expect_fail("this is not json at all", &c, 4, WT_ERR_TOO_LARGE);
}

static void test_nul_inside_string(void **state) {
        wt_feature_conf_t c;
        wt_article_t art;
        char err[256];
        wt_fscratch_t *fs = wt_fscratch_new();
        (void)state;
        wt_feature_conf_default(&c);
        assert_int_equal(parse("{\"text\": \"left\\u0000right\"}", &c, 0,
                               &art, err, sizeof(err)),
                         WT_OK);
        assert_int_equal(art.segs.n, 1);
        /* The whole string, NUL included. */
        expect_seg(&art, 0, "left\0right", 10);
        /* NUL separates tokens. */
        assert_int_equal(wt_features_hash(&c, &art.segs, fs), WT_OK);
        assert_int_equal(wt_features_ntokens(fs), 2);
        wt_article_clear(&art);

        /* A raw NUL byte in the buffer is not JSON. */
        expect_fail_n("{\"text\": \"a\0b\"}", 15, &c, 0, WT_ERR_JSON);
        wt_fscratch_destroy(fs);
}

/* The buffer need not be NUL-terminated: parse a prefix of a longer
 * buffer and the bytes after it are never looked at. */
static void test_not_nul_terminated(void **state) {
        wt_feature_conf_t c;
        wt_article_t art;
        char err[256];
        const char *two = "{\"text\": \"one\"}{\"text\": \"two\"}";
        (void)state;
        wt_feature_conf_default(&c);
        assert_int_equal(parse_n(two, 15, &c, 0, &art, err, sizeof(err)),
                         WT_OK);
        expect_seg(&art, 0, "one", 3);
        wt_article_clear(&art);
        /* Every strict prefix fails cleanly (and ASan sees no over-read). */
        {
                size_t n;
                for (n = 0; n < 15; n++)
                        expect_fail_n(two, n, &c, 0, WT_ERR_JSON);
        }
}

static void check_outcome(wt_err_t e, wt_article_t *art, const char *err) {
        if (e == WT_OK) {
                assert_non_null(art->root);
                assert_true(art->segs.n >= 1);
                wt_article_clear(art);
        } else {
                assert_true(strlen(err) > 0);
                assert_null(art->root);
        }
}

/* Every prefix of a valid article, and every single-byte corruption of
 * it, either parses or fails with a message: never a crash or over-read. */
static void test_fuzz_prefixes_and_bytes(void **state) {
        wt_feature_conf_t c;
        const char *doc = "{\"title\": \"T\\u00e9\", \"text\": \"Caf\xc3\xa9 "
                          "\\\"quoted\\\"\", \"labels\": [\"a\", null], "
                          "\"n\": -1.5e3}";
        size_t len = strlen(doc), i, v;
        (void)state;
        wt_feature_conf_default(&c);
        for (i = 0; i <= len; i++) { /* every prefix */
                wt_article_t art;
                char err[512];
                wt_err_t e = parse_n(doc, i, &c, 0, &art, err, sizeof(err));
                if (i < len)
                        assert_int_not_equal(e, WT_OK);
                check_outcome(e, &art, err);
        }
        for (i = 0; i < len; i++) { /* every byte, four ways */
                static const unsigned char repl[] = {0x00, '"', 0xff, '\\'};
                for (v = 0; v < sizeof(repl); v++) {
                        char *buf = wt_test_dup_exact(doc, len);
                        wt_article_t art;
                        char err[512];
                        wt_err_t e;
                        buf[i] = (char)repl[v];
                        err[0] = '\0';
                        e = wt_article_parse(buf, len, &c, 0, &art, err,
                                             sizeof(err));
                        check_outcome(e, &art, err);
                        free(buf);
                }
        }
}

static void test_error_names(void **state) {
        int e;
        (void)state;
        for (e = 0; e < WT_ERR__CNT; e++) {
                assert_non_null(wt_err_name((wt_err_t)e));
                assert_true(strlen(wt_err_name((wt_err_t)e)) > 0);
                assert_true(strlen(wt_err_describe((wt_err_t)e)) > 0);
        }
        assert_string_equal(wt_err_name(WT_ERR_JSON), "json");
        assert_string_equal(wt_err_name(WT_ERR_FIELD_MISSING),
                            "field_missing");
        /* Out of range: still a string. */
        assert_non_null(wt_err_name(WT_ERR__CNT));
        assert_non_null(wt_err_describe((wt_err_t)-1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_fields),
                cmocka_unit_test(test_custom_fields),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_json_error_position),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_nul_inside_string),
                cmocka_unit_test(test_not_nul_terminated),
                cmocka_unit_test(test_fuzz_prefixes_and_bytes),
                cmocka_unit_test(test_error_names),
        };
        return cmocka_run_group_tests_name("article", tests, NULL, NULL);
}
