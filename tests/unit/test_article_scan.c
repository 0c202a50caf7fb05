/*
 * wiretag - test_article_scan.c: wt_article_scan() against
 * wt_article_parse() (jansson), byte for byte.
 *
 * The scanner may accept only what jansson accepts, must then find the
 * same segments, and on failure must give the same code and message. Each
 * input goes through both from an exact-size copy (ASan catches a read
 * past it), with one scan reused throughout as a worker reuses it: the
 * README's bad-input table, the article fuzz corpus, every prefix and
 * many one-byte mutations of a few articles, and the shared corpora's
 * first lines when they are there.
 */
#include <dirent.h>
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

static wt_article_scan_t scan;
static size_t nfast, nslow;

static void compare_conf(const char *json, size_t len,
                         const wt_feature_conf_t *c, size_t max_bytes) {
        char *buf = wt_test_dup_exact(json, len);
        wt_article_t art;
        char e1[512], e2[512];
        wt_err_t a, b;
        unsigned i;

        e1[0] = e2[0] = '\0';
        a = wt_article_parse(buf, len, c, max_bytes, &art, e1, sizeof(e1));
        b = wt_article_scan(buf, len, c, max_bytes, &scan, e2, sizeof(e2));
        if (a != b)
                fail_msg("input %.*s: jansson %s (%s), scan %s (%s)",
                         (int)len, json, wt_err_name(a), e1, wt_err_name(b),
                         e2);
        if (a) {
                if (strcmp(e1, e2))
                        fail_msg("input %.*s: messages differ: %s / %s",
                                 (int)len, json, e1, e2);
        } else {
                if (art.segs.n != scan.segs.n)
                        fail_msg("input %.*s: %u segments, scan %u",
                                 (int)len, json, art.segs.n, scan.segs.n);
                for (i = 0; i < art.segs.n; i++) {
                        assert_int_equal(art.segs.len[i], scan.segs.len[i]);
                        assert_memory_equal(art.segs.text[i],
                                            scan.segs.text[i],
                                            art.segs.len[i]);
                }
                assert_int_equal(scan.nonempty,
                                 json_object_size(art.root) > 0);
                assert_int_equal(scan.has_wiretag,
                                 json_object_get(art.root, "wiretag") !=
                                         NULL);
                if (scan.root)
                        nslow++;
                else
                        nfast++;
        }
        wt_article_clear(&art);
        wt_article_scan_release(&scan);
        free(buf);
}

static void compare_n(const char *json, size_t len) {
        wt_feature_conf_t c;
        wt_feature_conf_default(&c);
        compare_conf(json, len, &c, 0);
}

static void compare(const char *json) {
        compare_n(json, strlen(json));
}

/* Every prefix, and every byte replaced by each of a few that matter. */
static void mutate(const char *doc, size_t len) {
        static const unsigned char repl[] = {0x00, '"', '\\', 0xff, 0x80,
                                             0xc3, '{',  '}',  '[',  ']',
                                             ',',  ':',  ' ',  'e',  '0',
                                             'u',  'n',  0x1f};
        size_t i, v;
        for (i = 0; i <= len; i++)
                compare_n(doc, i);
        for (i = 0; i < len; i++)
                for (v = 0; v < sizeof(repl); v++) {
                        char *buf = wt_test_dup_exact(doc, len);
                        buf[i] = (char)repl[v];
                        compare_n(buf, len);
                        free(buf);
                }
}

static void test_bad_input_table(void **state) {
        static const char *const docs[] = {
                "", " ", "\n\t\r ", "not json", "{\"title\": \"T\"",
                "{\"title\": \"T\"}\n{\"title\": \"U\"}", "[1, 2]",
                "\"a string\"", "42", "true", "null", "{}",
                "{\"id\": 1}", "{\"title\": null, \"text\": null}",
                "{\"text\": 5}", "{\"text\": [\"a\"]}", "{\"text\": {}}",
                "{\"title\": \"ok\", \"text\": false}",
                "{\"text\": \"bad \xff byte\"}",
                "{\"text\": \"surrogate \xed\xa0\x80\"}",
                "{\"text\": \"overlong \xc0\xaf\"}",
                "{\"text\": \"cut \xe2\x82\"}",
                "{\"text\": \"a\", \"text\": \"b\"}",
                "{\"text\": 1, \"text\": \"b\"}",
                "{\"text\": \"b\", \"text\": 1}",
                "{\"text\": \"b\", \"text\": null}",
                "{\"text\": \"\"}", "{\"text\": \"x\\u0000y\"}",
                "{\"te\\u0000xt\": \"x\"}", "{\"ti\\u0074le\": \"esc key\"}",
                "{\"text\": \"\\ud83d\\ude00 pair\"}",
                "{\"text\": \"\\ud83d lone high\"}",
                "{\"text\": \"\\ude00 lone low\"}",
                "{\"text\": \"\\u00e9\\u20ac\\/\\b\\f\\n\\r\\t\\\"\\\\\"}",
                "{\"text\": \"bad escape \\x\"}", "{\"text\": \"\\u12\"}",
                "{\"text\": \"raw\ttab\"}",
                "  {  \"text\"  :  \"spaced\"  ,  \"n\" : [ ] }  \r\n",
                ("{\"text\": \"t\", \"a\": [1, -0, 0.5, -12.25, true, false, "
                 "null, {\"b\": [{}]}, \"s\"]}"),
                "{\"text\": \"t\", \"n\": 1e5}", "{\"text\": \"t\", \"n\": 1E+400}",
                "{\"text\": \"t\", \"n\": 123456789012345678}",
                "{\"text\": \"t\", \"n\": 12345678901234567890}",
                "{\"text\": \"t\", \"n\": -9223372036854775808}",
                "{\"text\": \"t\", \"n\": 01}", "{\"text\": \"t\", \"n\": 1.}",
                "{\"text\": \"t\", \"n\": .5}", "{\"text\": \"t\", \"n\": -}",
                "{\"text\": \"t\", \"n\": +1}", "{\"text\": \"t\",}",
                "{\"text\": \"t\" \"x\": 1}", "{\"text\": \"t\", \"a\": [1,]}",
                "{\"text\": \"t\", \"a\": tru}", "{\"text\": \"t\", \"a\": nul}",
                "{\"text\": \"t\", \"a\": truex}",
                "{\"text\": \"t\"} x", "{\"text\": \"t\"}}",
                "\xef\xbb\xbf{\"text\": \"bom\"}",
                "{\"text\": \"t\", \"wiretag\": {\"labels\": []}}",
                "{\"wiretag\": null, \"title\": \"t\"}",
                "{\"text\": \"t\", \"\": 1}", "{\"text\": \"t\", 1: 2}",
                "{'text': 't'}",
        };
        size_t i;
        (void)state;
        for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
                compare(docs[i]);
        /* Raw NUL inside and after the JSON. */
        compare_n("{\"text\": \"a\0b\"}", 15);
        compare_n("{\"text\": \"ab\"}\0", 15);
        /* Too large. */
        {
                wt_feature_conf_t c;
                wt_feature_conf_default(&c);
                compare_conf("{\"text\": \"long enough\"}", 23, &c, 10);
                compare_conf("{\"text\": \"long enough\"}", 23, &c, 23);
        }
}

static void test_nesting(void **state) {
        static const size_t depths[] = {1, 2, 100, 511, 512, 513, 2047,
                                        2048, 2049, 3000};
        size_t d, i;
        (void)state;
        for (d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
                size_t n = depths[d];
                char *doc = malloc(2 * n + 64);
                size_t len = 0;
                assert_non_null(doc);
                len += (size_t)sprintf(doc, "{\"text\": \"t\", \"a\": ");
                for (i = 1; i < n; i++)
                        doc[len++] = '[';
                for (i = 1; i < n; i++)
                        doc[len++] = ']';
                if (n == 1)
                        doc[len++] = '0';
                doc[len++] = '}';
                compare_n(doc, len);
                free(doc);
        }
}

static void test_fields(void **state) {
        wt_feature_conf_t c;
        (void)state;
        wt_feature_conf_default(&c);
        assert_int_equal(wt_feature_conf_set_fields(&c, "headline,body,title",
                                                    NULL, 0),
                         WT_OK);
        compare_conf("{\"body\": \"b\", \"headline\": \"h\", \"title\": "
                     "\"t\"}", 41, &c, 0);
        compare_conf("{\"body\": \"b\\n\", \"title\": null}", 31, &c, 0);
        compare_conf("{\"text\": \"b\"}", 13, &c, 0);
        assert_int_equal(wt_feature_conf_set_fields(&c, "text,text", NULL, 0),
                         WT_OK);
        compare_conf("{\"text\": \"tw\\u00e9ce\"}", 22, &c, 0);
}

static void test_mutations(void **state) {
        static const char *const docs[] = {
                "{\"title\": \"T\\u00e9\", \"text\": \"Caf\xc3\xa9 "
                "\\\"quoted\\\"\", \"labels\": [\"a\", null], \"n\": -1.5}",
                "{\"id\":\"x-1\",\"text\":\"A \xe2\x82\xac sign\\ud83d\\ude00"
                "\",\"o\":{\"k\":[true,false,null,0]}}",
        };
        size_t i;
        (void)state;
        for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
                mutate(docs[i], strlen(docs[i]));
}

static int read_file(const char *path, char **buf, size_t *len) {
        FILE *fp = fopen(path, "rb");
        long n;
        if (!fp)
                return -1;
        fseek(fp, 0, SEEK_END);
        n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        *buf = malloc(n > 0 ? (size_t)n : 1);
        *len = n > 0 && fread(*buf, 1, (size_t)n, fp) == (size_t)n
                       ? (size_t)n
                       : 0;
        fclose(fp);
        return 0;
}

static void test_fuzz_corpus(void **state) {
        DIR *dir = opendir(WT_FUZZ_CORPUS);
        struct dirent *de;
        size_t n = 0;
        (void)state;
        assert_non_null(dir);
        while ((de = readdir(dir))) {
                char path[4096], *buf;
                size_t len;
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", WT_FUZZ_CORPUS,
                         de->d_name);
                if (read_file(path, &buf, &len))
                        continue;
                compare_n(buf, len);
                if (len < 400)
                        mutate(buf, len);
                free(buf);
                n++;
        }
        closedir(dir);
        assert_true(n > 0);
}

/* Lines of a JSON Lines file (at most max). */
static void compare_lines(const char *path, size_t max) {
        char *buf, *p, *end;
        size_t len, n = 0;
        if (read_file(path, &buf, &len)) {
                print_message("skipped: %s not found\n", path);
                return;
        }
        for (p = buf, end = buf + len; p < end && n < max; n++) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
                compare_n(p, l);
                p += l + 1;
        }
        free(buf);
}

static void test_corpora(void **state) {
        const char *shared = wt_test_shared_data();
        char path[4096];
        (void)state;
        compare_lines(wt_test_fixture("articles.jsonl"), 1000);
        if (!shared) {
                print_message("skipped: no shared data\n");
                return;
        }
        snprintf(path, sizeof(path), "%s/reuters21578/train.jsonl", shared);
        compare_lines(path, 2000);
        snprintf(path, sizeof(path), "%s/agnews/test.jsonl", shared);
        compare_lines(path, 2000);
}

static void test_fast_path_taken(void **state) {
        (void)state;
        /* Ordinary articles never need jansson. */
        size_t fast = nfast, slow = nslow;
        compare("{\"id\": \"a\", \"title\": \"T\", \"text\": \"x \\\"y\\\"\", "
                "\"tags\": [\"a\", 1, {\"b\": null}], \"n\": -2.5}");
        assert_int_equal(nfast, fast + 1);
        assert_int_equal(nslow, slow);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_input_table),
                cmocka_unit_test(test_nesting),
                cmocka_unit_test(test_fields),
                cmocka_unit_test(test_mutations),
                cmocka_unit_test(test_fuzz_corpus),
                cmocka_unit_test(test_corpora),
                cmocka_unit_test(test_fast_path_taken),
        };
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        print_message("scan: %zu accepted by the scanner, %zu by jansson\n",
                      nfast, nslow);
        wt_article_scan_free(&scan);
        return rc;
}
