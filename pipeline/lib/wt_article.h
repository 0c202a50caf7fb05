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

#ifdef __cplusplus
extern "C" {
#endif

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

/**
 * The fast way to the same segments: wt_article_scan() validates the
 * article with a strict scanner of its own and builds no DOM. Unescaped
 * text fields are borrowed from buf; escaped ones are decoded into the
 * scan's own buffer, which is reused, so a warm scan allocates nothing.
 *
 * It gives what wt_article_parse() gives on the same bytes: the same
 * wt_err_t and the same message on failure (a failure, or any input the
 * scanner does not settle itself, such as an escaped key, a number with
 * an exponent or very deep nesting, is handed to jansson, which then
 * decides and words the error), the same segments on success. A scan
 * jansson settled holds the parsed object in `root`.
 *
 * @locality a scan belongs to one thread at a time; any number may run.
 */
typedef struct wt_article_scan {
        wt_segments_t segs;  /**< text fields, borrowed (buf, text, root) */
        int nonempty;        /**< the object has at least one member */
        int has_wiretag;     /**< the object has a "wiretag" member */
        json_t *root;        /**< set when jansson parsed it (owned) */
        char *text;          /**< escaped fields, decoded (owned) */
        size_t text_cap;
} wt_article_scan_t;

/** Scan buf[0..len) (see above). sc must start zeroed; it is reused from
 *  one call to the next. On success sc->segs borrow from buf and sc
 *  until the next scan. When sc->root is set on return, release it with
 *  wt_article_scan_release() inside the same wt_jsonmem bracket. */
wt_err_t wt_article_scan(const char *buf, size_t len,
                         const wt_feature_conf_t *conf, size_t max_bytes,
                         wt_article_scan_t *sc, char *errstr,
                         size_t errstr_size);

/** Drop the jansson object a scan may hold (keeps the buffer). */
void wt_article_scan_release(wt_article_scan_t *sc);

/** Release everything. Accepts a zeroed scan. */
void wt_article_scan_free(wt_article_scan_t *sc);

#ifdef __cplusplus
}
#endif

#endif /* WT_ARTICLE_H */
