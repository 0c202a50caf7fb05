/*
 * wiretag - test_reader.c: unit tests for wt_reader (JSON Lines, or JSON
 * documents spread over many lines), with the line numbers the CLI and
 * the trainer put in their error messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>

#include "wt_reader.h"
#include "wt_test.h"

typedef struct rec {
        char *text;
        size_t len;
        size_t line;
} rec_t;

typedef struct tmpfile_ctx {
        char dir[256];
        char path[512];
} tmpfile_ctx_t;

static int setup(void **state) {
        tmpfile_ctx_t *t = calloc(1, sizeof(*t));
        const char *tmp = getenv("TMPDIR");
        if (!t)
                return -1;
        snprintf(t->dir, sizeof(t->dir), "%s/wiretag-reader-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(t->dir))
                return -1;
        snprintf(t->path, sizeof(t->path), "%s/in.jsonl", t->dir);
        *state = t;
        return 0;
}

static int teardown(void **state) {
        tmpfile_ctx_t *t = *state;
        remove(t->path);
        rmdir(t->dir);
        free(t);
        return 0;
}

/** Read every record of `content` (written to a file); returns the count,
 *  records in out[] (caller frees with free_recs). */
static size_t read_all_n(tmpfile_ctx_t *t, const char *content, size_t clen,
                         rec_t *out, size_t max) {
        wt_reader_t r;
        const char *text;
        size_t len, n = 0;
        char err[512];
        int rc;
        wt_test_write_file(t->path, content, clen);
        assert_int_equal(wt_reader_open(&r, t->path, err, sizeof(err)), WT_OK);
        while ((rc = wt_reader_next(&r, &text, &len, err, sizeof(err))) == 1) {
                assert_true(n < max);
                out[n].text = malloc(len + 1); /* NUL-terminated copy */
                assert_non_null(out[n].text);
                memcpy(out[n].text, text, len);
                out[n].text[len] = '\0';
                out[n].len = len;
                out[n].line = wt_reader_lineno(&r);
                n++;
        }
        assert_int_equal(rc, 0);
        /* The end is sticky. */
        assert_int_equal(wt_reader_next(&r, &text, &len, err, sizeof(err)), 0);
        wt_reader_close(&r);
        return n;
}

static size_t read_all(tmpfile_ctx_t *t, const char *content, rec_t *out,
                       size_t max) {
        return read_all_n(t, content, strlen(content), out, max);
}

static void free_recs(rec_t *r, size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                free(r[i].text);
}

/** The record parses as JSON and its "id" is `id`. */
static void expect_id(const rec_t *r, const char *id) {
        json_error_t jerr;
        json_t *v = json_loadb(r->text, r->len, 0, &jerr);
        if (!v)
                fail_msg("record at line %zu does not parse: %s (%.*s)",
                         r->line, jerr.text, (int)r->len, r->text);
        assert_string_equal(json_string_value(json_object_get(v, "id")), id);
        json_decref(v);
}

static int parses(const rec_t *r) {
        json_t *v = json_loadb(r->text, r->len, 0, NULL);
        json_decref(v);
        return v != NULL;
}

/* ----------------------------------------------------------- JSON Lines */

static void test_jsonl_blank_lines(void **state) {
        rec_t r[8];
        size_t n;
        n = read_all(*state,
                     "\n"
                     "{\"id\": \"a\"}\n"
                     "   \n"
                     "\t\n"
                     "{\"id\": \"b\"}\r\n"
                     "\r\n"
                     "{\"id\": \"c\"}", /* no final newline */
                     r, 8);
        assert_int_equal(n, 3);
        expect_id(&r[0], "a");
        assert_int_equal(r[0].line, 2);
        expect_id(&r[1], "b");
        assert_int_equal(r[1].line, 5);
        expect_id(&r[2], "c");
        assert_int_equal(r[2].line, 7);
        free_recs(r, n);
}

/* A bad line is returned as it is and does not hide the next ones. */
static void test_jsonl_bad_line(void **state) {
        rec_t r[8];
        size_t n;
        n = read_all(*state,
                     "{\"id\": \"a\"}\n"
                     "{\"id\": \"broken\"\n"       /* ends early */
                     "{\"id\": \"b\"}\n"
                     "not json at all\n"
                     "{\"id\": \"c\"} {\"id\": \"d\"}\n" /* two on a line */
                     "{\"id\": \"e\"}\n",
                     r, 8);
        assert_int_equal(n, 6);
        expect_id(&r[0], "a");
        assert_int_equal(r[0].line, 1);
        assert_false(parses(&r[1]));
        assert_int_equal(r[1].line, 2);
        assert_non_null(strstr(r[1].text, "broken"));
        expect_id(&r[2], "b");
        assert_int_equal(r[2].line, 3);
        assert_false(parses(&r[3]));
        assert_int_equal(r[3].line, 4);
        assert_false(parses(&r[4])); /* the caller reports it */
        assert_int_equal(r[4].line, 5);
        expect_id(&r[5], "e");
        assert_int_equal(r[5].line, 6);
        free_recs(r, n);
}

/* The first line decides the mode: a bad first line that is not merely
 * unfinished keeps JSON Lines mode. */
static void test_jsonl_bad_first_line(void **state) {
        rec_t r[8];
        size_t n;
        n = read_all(*state,
                     "{\"id\" 1}\n"
                     "{\"id\": \"a\"}\n"
                     "{\"id\": \"b\"}\n",
                     r, 8);
        assert_int_equal(n, 3);
        assert_false(parses(&r[0]));
        assert_int_equal(r[0].line, 1);
        expect_id(&r[1], "a");
        assert_int_equal(r[1].line, 2);
        expect_id(&r[2], "b");
        assert_int_equal(r[2].line, 3);
        free_recs(r, n);
}

static void test_jsonl_long_line(void **state) {
        size_t big = 300000, n, i;
        char *content = malloc(big + 64);
        rec_t r[4];
        size_t len = 0;
        assert_non_null(content);
        len += (size_t)sprintf(content, "{\"id\": \"long\", \"text\": \"");
        for (i = 0; i < big; i++)
                content[len++] = (char)('a' + i % 26);
        len += (size_t)sprintf(content + len, "\"}\n{\"id\": \"next\"}\n");
        n = read_all_n(*state, content, len, r, 4);
        assert_int_equal(n, 2);
        expect_id(&r[0], "long");
        assert_true(r[0].len > big);
        expect_id(&r[1], "next");
        assert_int_equal(r[1].line, 2);
        free_recs(r, n);
        free(content);
}

static void test_empty_inputs(void **state) {
        rec_t r[2];
        assert_int_equal(read_all(*state, "", r, 2), 0);
        assert_int_equal(read_all(*state, "\n\n  \n\t\r\n", r, 2), 0);
}

/* ------------------------------------------------------ document mode */

static void test_pretty_document(void **state) {
        rec_t r[4];
        size_t n;
        const char *doc = "\n"
                          "\n"
                          "{\n"
                          "  \"id\": \"pretty\",\n"
                          "  \"title\": \"A title\",\n"
                          "  \"text\": \"Line one.\\nLine two.\"\n"
                          "}\n";
        n = read_all(*state, doc, r, 4);
        assert_int_equal(n, 1);
        expect_id(&r[0], "pretty");
        assert_int_equal(r[0].line, 3);
        free_recs(r, n);
}

static void test_concatenated_documents(void **state) {
        rec_t r[4];
        size_t n;
        n = read_all(*state,
                     "{\n"                      /* line 1 */
                     "  \"id\": \"one\"\n"
                     "}\n"
                     "\n"
                     "{\n"                      /* line 5 */
                     "  \"id\": \"two\",\n"
                     "  \"list\": [1,\n"
                     "    2]\n"
                     "} {\"id\": \"three\"}\n"  /* line 9 */
                     "[\n"                      /* line 10 */
                     "]\n",
                     r, 4);
        assert_int_equal(n, 4);
        expect_id(&r[0], "one");
        assert_int_equal(r[0].line, 1);
        expect_id(&r[1], "two");
        assert_int_equal(r[1].line, 5);
        expect_id(&r[2], "three");
        assert_int_equal(r[2].line, 9);
        assert_int_equal(r[3].line, 10);
        assert_true(parses(&r[3])); /* an array: valid JSON, not an article */
        free_recs(r, n);
}

/* In document mode a broken document cannot be resynchronised: the rest
 * of the input comes back as one record, whose parse fails. */
static void test_document_mode_error(void **state) {
        rec_t r[4];
        size_t n;
        n = read_all(*state,
                     "{\n"
                     "  \"id\": \"ok\"\n"
                     "}\n"
                     "{\n"
                     "  \"id\": oops\n"
                     "}\n"
                     "{\"id\": \"after\"}\n",
                     r, 4);
        assert_int_equal(n, 2);
        expect_id(&r[0], "ok");
        assert_false(parses(&r[1]));
        assert_int_equal(r[1].line, 4);
        assert_non_null(strstr(r[1].text, "after"));
        free_recs(r, n);
}

static void test_open_errors(void **state) {
        wt_reader_t r;
        char err[512];
        (void)state;
        err[0] = '\0';
        assert_int_equal(wt_reader_open(&r, "/nonexistent/dir/in.jsonl", err,
                                        sizeof(err)),
                         WT_ERR_IO);
        assert_non_null(strstr(err, "/nonexistent/dir/in.jsonl"));
}

/* ----------------------------------------------------------------- gzip */

/** Write content gzip-compressed to t->path (a name without ".gz": the
 *  reader goes by the first bytes). */
static void write_gz(tmpfile_ctx_t *t, const char *content, size_t len) {
        gzFile gz = gzopen(t->path, "wb");
        assert_non_null(gz);
        assert_int_equal(gzwrite(gz, content, (unsigned)len), (int)len);
        assert_int_equal(gzclose(gz), Z_OK);
}

/** The whole of path, malloc'ed; its size in *len. */
static char *slurp(const char *path, size_t *len) {
        FILE *fp = fopen(path, "rb");
        char *buf = malloc(1 << 16);
        assert_non_null(fp);
        assert_non_null(buf);
        *len = fread(buf, 1, 1 << 16, fp);
        fclose(fp);
        return buf;
}

/** Read t->path; returns the number of records, or -1 on a read error
 *  (at open or later) with the message in err. */
static long read_file(tmpfile_ctx_t *t, char *err, size_t errsize,
                      size_t *lastline) {
        wt_reader_t r;
        const char *text;
        size_t len;
        long n = 0;
        int rc;
        if (wt_reader_open(&r, t->path, err, errsize))
                return -1;
        while ((rc = wt_reader_next(&r, &text, &len, err, errsize)) == 1) {
                n++;
                *lastline = wt_reader_lineno(&r);
        }
        wt_reader_close(&r);
        return rc < 0 ? -1 : n;
}

static void test_gzip_jsonl_and_document(void **state) {
        tmpfile_ctx_t *t = *state;
        static const char jsonl[] = "{\"id\": \"a\"}\n\n{\"id\": \"b\"}\n"
                                    "{\"id\": \"c\"}\n";
        static const char doc[] = "{\n  \"id\": \"one\"\n}\n{\n  \"id\": "
                                  "\"two\"\n}\n";
        char err[512] = "";
        size_t line = 0;
        write_gz(t, jsonl, sizeof(jsonl) - 1);
        assert_int_equal(read_file(t, err, sizeof(err), &line), 3);
        assert_int_equal(line, 4); /* line numbers of the plain text */
        write_gz(t, doc, sizeof(doc) - 1);
        assert_int_equal(read_file(t, err, sizeof(err), &line), 2);
        assert_int_equal(line, 4);
        write_gz(t, "", 0); /* an empty gzip member: no records */
        assert_int_equal(read_file(t, err, sizeof(err), &line), 0);
}

/* Cut and corrupted streams are read errors that say so, never an early
 * end taken for the whole input. */
static void test_gzip_broken(void **state) {
        tmpfile_ctx_t *t = *state;
        char content[4096], *gzdata, err[512];
        size_t i, n = 0, line = 0;
        long got;
        FILE *fp;
        for (i = 0; i < 100; i++)
                n += (size_t)snprintf(content + n, sizeof(content) - n,
                                      "{\"id\": \"r%zu\"}\n", i);
        write_gz(t, content, n);
        gzdata = slurp(t->path, &n);
        assert_non_null(gzdata);
        assert_true(n > 40);

        /* Truncated: the trailer (CRC, length) and some data missing. */
        fp = fopen(t->path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(gzdata, 1, n - 12, fp), n - 12);
        fclose(fp);
        err[0] = '\0';
        got = read_file(t, err, sizeof(err), &line);
        assert_int_equal(got, -1);
        assert_non_null(strstr(err, t->path));
        assert_non_null(strstr(err, "not a valid gzip stream (truncated"));

        /* Corrupt: the deflate data flipped after the header. */
        for (i = 12; i < n - 8; i++)
                gzdata[i] ^= 0x5a;
        fp = fopen(t->path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(gzdata, 1, n, fp), n);
        fclose(fp);
        err[0] = '\0';
        assert_int_equal(read_file(t, err, sizeof(err), &line), -1);
        assert_non_null(strstr(err, "not a valid gzip stream"));
        free(gzdata);
}

/* The real article sample: a pretty-printed document. */
static void test_shared_sample(void **state) {
        const char *shared = wt_test_shared_data();
        char path[4096], err[512];
        wt_reader_t r;
        const char *text;
        size_t len;
        json_t *v;
        (void)state;
        if (!shared) {
                print_message("shared data folder absent ($WT_SHARED_DATA): "
                              "skipping the real-article test\n");
                skip();
        }
        snprintf(path, sizeof(path), "%s/samples/pakistan-iran.json", shared);
        assert_int_equal(wt_reader_open(&r, path, err, sizeof(err)), WT_OK);
        assert_int_equal(wt_reader_next(&r, &text, &len, err, sizeof(err)), 1);
        assert_int_equal(wt_reader_lineno(&r), 1);
        v = json_loadb(text, len, 0, NULL);
        assert_non_null(v);
        assert_true(json_is_string(json_object_get(v, "title")));
        assert_true(json_is_string(json_object_get(v, "text")));
        json_decref(v);
        assert_int_equal(wt_reader_next(&r, &text, &len, err, sizeof(err)), 0);
        wt_reader_close(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_jsonl_blank_lines, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_jsonl_bad_line, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_jsonl_bad_first_line,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_jsonl_long_line, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_empty_inputs, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_pretty_document, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_concatenated_documents,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_document_mode_error,
                                                setup, teardown),
                cmocka_unit_test(test_open_errors),
                cmocka_unit_test_setup_teardown(test_gzip_jsonl_and_document,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_gzip_broken, setup,
                                                teardown),
                cmocka_unit_test(test_shared_sample),
        };
        return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
