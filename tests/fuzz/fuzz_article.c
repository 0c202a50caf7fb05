/*
 * wiretag fuzzing - fuzz_article.c: a Kafka payload through the whole
 * classify path of a `wiretag run` worker.
 *
 * The input is the payload: JSON parsed in an arena (wt_jsonmem), the text
 * fields picked (wt_article), tokenized, hashed, counted and scored
 * (wt_classify, with the fixture model), the labeled record spliced
 * (wt_record) and the prediction written with jansson. The same bytes are
 * also tokenized raw, with every flag combination, and UTF-8-checked.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "wt_article.h"
#include "wt_jsonmem.h"
#include "wt_model.h"
#include "wt_record.h"
#include "wt_tokenizer.h"

static wt_model_t *model;
static wt_scratch_t *scratch;
static wt_jsonmem_arena_t *arena;
static wt_recbuf_t rec;
static wt_article_scan_t scan;

/* wt_article_scan() against wt_article_parse() on the same bytes. */
static void check_scan(const char *text, size_t size) {
        wt_article_t art;
        char e1[512], e2[512];
        wt_err_t a, b;
        unsigned i;
        e1[0] = e2[0] = '\0';
        a = wt_article_parse(text, size, wt_model_feature_conf(model),
                             1 << 20, &art, e1, sizeof(e1));
        b = wt_article_scan(text, size, wt_model_feature_conf(model),
                            1 << 20, &scan, e2, sizeof(e2));
        if (a != b || (a && strcmp(e1, e2)))
                abort();
        if (!a) {
                if (art.segs.n != scan.segs.n ||
                    scan.has_wiretag !=
                            (json_object_get(art.root, "wiretag") != NULL) ||
                    scan.nonempty != (json_object_size(art.root) > 0))
                        abort();
                for (i = 0; i < art.segs.n; i++)
                        if (art.segs.len[i] != scan.segs.len[i] ||
                            memcmp(art.segs.text[i], scan.segs.text[i],
                                   art.segs.len[i]))
                                abort();
        }
        wt_article_clear(&art);
        wt_article_scan_release(&scan);
}

static void setup(void) {
        char errstr[512];
        if (wt_model_load(wt_fuzz_fixture("model-v1.wtm"), &model, errstr,
                          sizeof(errstr))) {
                fprintf(stderr, "fuzz_article: %s\n", errstr);
                abort();
        }
        wt_jsonmem_install();
        scratch = wt_scratch_new();
        arena = wt_jsonmem_arena_new(1024);
        if (!scratch || !arena)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *)data;
        wt_article_t art;
        wt_prediction_t pred;
        char errstr[512];
        unsigned flags;

        if (!model)
                setup();

        for (flags = 0; flags < 4; flags++) {
                wt_tokenizer_t tk;
                wt_token_t tok;
                wt_tokenizer_init(&tk, text, size, flags);
                while (wt_tokenizer_next(&tk, &tok))
                        if (tok.len == 0 || tok.len > WT_TOKEN_MAX ||
                            tok.offset >= size)
                                abort();
        }
        (void)wt_utf8_invalid_offset(text, size);

        wt_jsonmem_enter(arena);
        check_scan(text, size);
        if (!wt_article_parse(text, size, wt_model_feature_conf(model),
                              1 << 20, &art, errstr, sizeof(errstr))) {
                if (!wt_classify(model, scratch, &art.segs, &pred)) {
                        json_t *p = wt_prediction_json(model, &pred);
                        char *txt = p ? json_dumps(p, JSON_COMPACT) : NULL;
                        wt_jsonmem_free(txt);
                        json_decref(p);
                        if (wt_record_build(text, size, art.root, model,
                                            &pred, &rec) == WT_OK &&
                            strlen(rec.data) > rec.len)
                                abort();
                }
                wt_article_clear(&art);
        }
        wt_jsonmem_leave(arena);
        return 0;
}
