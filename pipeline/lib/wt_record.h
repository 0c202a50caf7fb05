/*
 * wiretag - wt_record.h: the labeled record wiretag publishes.
 *
 * A labeled record is the input article with one member added:
 *
 *   {...the article's members...,"wiretag":{"labels":[{"label":L,
 *    "score":S},...],"model":NAME,"model_id":ID}}
 *
 * wt_record_build() writes it by splicing: the article's bytes are copied
 * as they came and the "wiretag" member is written before the closing
 * brace, so the article is not re-serialised (and its numbers, escapes and
 * member order stay exactly as the publisher wrote them). Scores are
 * printed as jansson prints a real with JSON_REAL_PRECISION(6). An article
 * that already has a "wiretag" member gets it replaced, through jansson.
 *
 * The output buffer belongs to the caller and grows geometrically: a
 * thread that reuses one allocates nothing once it has held the largest
 * record.
 */
#ifndef WT_RECORD_H
#define WT_RECORD_H

#include <jansson.h>
#include <stddef.h>

#include "wt_article.h"
#include "wt_err.h"
#include "wt_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wt_recbuf {
        char *data;  /**< the record, NUL-terminated */
        size_t len;  /**< bytes before the NUL */
        size_t cap;
} wt_recbuf_t;

/** Build the labeled record of the article json[0..len), whose parsed
 *  object is root (from wt_article_parse() of the same bytes), into out.
 *  WT_ERR_NOMEM on allocation failure, WT_ERR_NOT_OBJECT if the bytes do
 *  not end with an object's closing brace. */
wt_err_t wt_record_build(const char *json, size_t len, json_t *root,
                         const wt_model_t *model,
                         const wt_prediction_t *pred, wt_recbuf_t *out);

/** wt_record_build() for an article already known to be an object
 *  without a "wiretag" member (as wt_article_scan() reports it, with
 *  nonempty saying whether it has members): splices without a DOM. */
wt_err_t wt_record_splice(const char *json, size_t len, int nonempty,
                          const wt_model_t *model,
                          const wt_prediction_t *pred, wt_recbuf_t *out);

/** The labeled record of an article that wt_article_scan() read from
 *  json[0..len) into sc (conf and max_bytes as given to that scan): the
 *  splice when the scan built no DOM, else wt_record_build() over the
 *  scan's object, or over one jansson parses now when the article has a
 *  "wiretag" member to replace. The caller brackets the scan and this
 *  call in one wt_jsonmem bracket. On failure errstr says why. */
wt_err_t wt_record_from_scan(const char *json, size_t len,
                             const wt_article_scan_t *sc,
                             const wt_feature_conf_t *conf, size_t max_bytes,
                             const wt_model_t *model,
                             const wt_prediction_t *pred, wt_recbuf_t *out,
                             char *errstr, size_t errstr_size);

/** Release out's buffer; it may be reused after. */
void wt_recbuf_free(wt_recbuf_t *out);

#ifdef __cplusplus
}
#endif

#endif /* WT_RECORD_H */
