/*
 * wiretag - wt_article.h: the text of a JSON article.
 *
 * An article is a JSON object; its text is the concatenation, in the
 * configured order, of the configured string fields (default "title" then
 * "text"). The input is a byte buffer with an explicit length, as a Kafka
 * payload is: it need not be NUL-terminated.
 *
 * Rules (each failure is a distinct wt_err_t, so the stream processor can
 * route it and the CLI can name it):
 *  - not JSON, or trailing garbage     -> WT_ERR_JSON (with line/column)
 *  - invalid UTF-8 anywhere            -> WT_ERR_UTF8
 *  - top level not an object           -> WT_ERR_NOT_OBJECT
 *  - a configured field present but not a string (null counts as absent)
 *                                      -> WT_ERR_FIELD_TYPE
 *  - none of the configured fields present -> WT_ERR_FIELD_MISSING
 *  - longer than max_bytes (if > 0)    -> WT_ERR_TOO_LARGE
 * Duplicate keys are accepted and the last one wins (jansson's rule);
 * "\u0000" inside strings is accepted and tokenizes as a separator.
 */
#ifndef WT_ARTICLE_H
#define WT_ARTICLE_H

#include <jansson.h>
#include <stddef.h>

#include "wt_err.h"
#include "wt_features.h"

typedef struct wt_article {
        json_t *root;        /**< the parsed object (owned) */
        wt_segments_t segs;  /**< text fields, borrowed from root */
} wt_article_t;

/** Parse buf[0..len) and pick the text fields named in conf.
 *  On success art->root is owned by art: release with wt_article_clear().
 *  On failure art holds nothing and errstr says what and where. */
wt_err_t wt_article_parse(const char *buf, size_t len,
                          const wt_feature_conf_t *conf, size_t max_bytes,
                          wt_article_t *art, char *errstr,
                          size_t errstr_size);

/** Pick the text fields of an already parsed object (borrowed). */
wt_err_t wt_article_from_json(json_t *root, const wt_feature_conf_t *conf,
                              wt_segments_t *segs, char *errstr,
                              size_t errstr_size);

/** Release what wt_article_parse() took. Accepts a cleared article. */
void wt_article_clear(wt_article_t *art);

#endif /* WT_ARTICLE_H */
