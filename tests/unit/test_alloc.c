/*
 * wiretag - test_alloc.c: a warm scratch classifies without allocating.
 *
 * The classify path promises no allocation per document in steady state:
 * once a thread's wt_scratch_t has seen a document at least as large, the
 * same work allocates nothing. This program is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc, so every allocation made
 * by libwiretag's code (linked statically into it) is counted, and checks
 * the count over a second pass of the same documents is zero.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "wt_article.h"
#include "wt_jsonmem.h"
#include "wt_model.h"
#include "wt_record.h"
#include "wt_train.h"
#include "wt_test.h"

#include "wt_test_wrap.h"

static size_t wt_allocs;

void *__wrap_malloc(size_t size) {
        wt_allocs++;
        return __real_malloc(size);
}
void *__wrap_calloc(size_t n, size_t size) {
        wt_allocs++;
        return __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t size) {
        wt_allocs++;
        return __real_realloc(p, size);
}

#define NDOCS_MAX 256

static void test_warm_classify_allocates_nothing(void **state) {
        wt_train_opts_t opts;
        wt_model_t *model = NULL;
        wt_scratch_t *scratch;
        json_t *docs[NDOCS_MAX];
        wt_segments_t segs[NDOCS_MAX];
        size_t ndocs = 0, i, before, pass;
        char errstr[512];
        FILE *fp;
        char line[65536];
        (void)state;

        /* A multi-label model with both pooling modes exercises every
         * branch of wt_classify(). */
        wt_train_opts_init(&opts);
        opts.folds = 0;
        opts.min_df = 1;
        opts.threads = 1;
        assert_int_equal(wt_train_opts_add_file(
                                 &opts, wt_test_fixture("multi.jsonl")),
                         WT_OK);
        opts.sources[0].pooling = WT_POOL_SENTENCE_MAX;
        assert_int_equal(wt_train_opts_add_file(
                                 &opts, wt_test_fixture("single3.jsonl")),
                         WT_OK);
        assert_int_equal(wt_train(&opts, &model, errstr, sizeof(errstr)),
                         WT_OK);
        wt_train_opts_clear(&opts);

        fp = fopen(wt_test_fixture("single3.jsonl"), "r");
        assert_non_null(fp);
        while (ndocs < NDOCS_MAX && fgets(line, sizeof(line), fp)) {
                docs[ndocs] = json_loads(line, 0, NULL);
                assert_non_null(docs[ndocs]);
                assert_int_equal(wt_article_from_json(
                                         docs[ndocs],
                                         wt_model_feature_conf(model),
                                         &segs[ndocs], errstr,
                                         sizeof(errstr)),
                                 WT_OK);
                ndocs++;
        }
        fclose(fp);
        assert_true(ndocs >= 10);

        scratch = wt_scratch_new();
        assert_non_null(scratch);
        for (pass = 0; pass < 2; pass++) {
                before = wt_allocs;
                for (i = 0; i < ndocs; i++) {
                        wt_prediction_t pred;
                        assert_int_equal(
                                wt_classify(model, scratch, &segs[i], &pred),
                                WT_OK);
                        assert_true(pred.ntokens > 0);
                }
                if (pass == 0)
                        assert_true(wt_allocs > before); /* the counter works */
                else
                        assert_int_equal(wt_allocs - before, 0);
        }

        wt_scratch_destroy(scratch);
        for (i = 0; i < ndocs; i++)
                json_decref(docs[i]);
        wt_model_destroy(model);
}

/* What a `wiretag run` worker does per message: parse the payload (jansson
 * in the worker's arena), classify, build the labeled record, release.
 * Once warm, nothing of it allocates. */
static void test_warm_message_path_allocates_nothing(void **state) {
        wt_model_t *model = NULL;
        wt_scratch_t *scratch;
        wt_jsonmem_arena_t *arena;
        wt_recbuf_t rec = {0};
        char errstr[512], line[65536];
        char *msgs[NDOCS_MAX];
        size_t lens[NDOCS_MAX], n = 0, i, before, pass;
        FILE *fp;
        (void)state;

        assert_int_equal(wt_model_load(wt_test_fixture("model-v1.wtm"),
                                       &model, errstr, sizeof(errstr)),
                         WT_OK);
        fp = fopen(wt_test_fixture("articles.jsonl"), "r");
        assert_non_null(fp);
        while (n < NDOCS_MAX && fgets(line, sizeof(line), fp)) {
                lens[n] = strlen(line);
                msgs[n] = wt_test_dup_exact(line, lens[n]);
                n++;
        }
        fclose(fp);
        assert_true(n >= 3);

        wt_jsonmem_install();
        /* Small, so the first pass also has to grow it. */
        arena = wt_jsonmem_arena_new(256);
        scratch = wt_scratch_new();
        assert_non_null(arena);
        assert_non_null(scratch);
        for (pass = 0; pass < 3; pass++) {
                before = wt_allocs;
                for (i = 0; i < n; i++) {
                        wt_article_t art;
                        wt_prediction_t pred;
                        wt_jsonmem_enter(arena);
                        assert_int_equal(
                                wt_article_parse(msgs[i], lens[i],
                                                 wt_model_feature_conf(model),
                                                 0, &art, errstr,
                                                 sizeof(errstr)),
                                WT_OK);
                        assert_int_equal(wt_classify(model, scratch,
                                                     &art.segs, &pred),
                                         WT_OK);
                        assert_int_equal(wt_record_build(msgs[i], lens[i],
                                                         art.root, model,
                                                         &pred, &rec),
                                         WT_OK);
                        assert_non_null(strstr(rec.data, "\"wiretag\":"));
                        wt_article_clear(&art);
                        wt_jsonmem_leave(arena);
                }
                if (pass == 0)
                        /* jansson's blocks reach the counter: the arena
                         * was too small, the record buffer new. */
                        assert_true(wt_allocs > before);
                else
                        assert_int_equal(wt_allocs - before, 0);
        }
        assert_true(wt_jsonmem_arena_capacity(arena) > 256);

        wt_recbuf_free(&rec);
        wt_scratch_destroy(scratch);
        wt_jsonmem_arena_destroy(arena);
        for (i = 0; i < n; i++)
                free(msgs[i]);
        wt_model_destroy(model);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_warm_classify_allocates_nothing),
                cmocka_unit_test(test_warm_message_path_allocates_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
