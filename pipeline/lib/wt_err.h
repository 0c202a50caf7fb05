/*
 * wiretag - streaming news classification
 *
 * wt_err.h: the one error type of libwiretag.
 *
 * Every fallible function returns a wt_err_t and, where a human needs more
 * than the code, fills a caller-supplied `char *errstr, size_t errstr_size`
 * with a message naming the file, line, field or byte offset at fault
 * (the librdkafka convention).
 */
#ifndef WT_ERR_H
#define WT_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wt_err {
        WT_OK = 0,
        WT_ERR_NOMEM,          /**< allocation failed */
        WT_ERR_IO,             /**< read/write/open failed (errno in message) */
        WT_ERR_INVALID_ARG,    /**< bad option or argument */
        /* Article errors: what the stream processor routes to its DLQ. */
        WT_ERR_JSON,           /**< input is not valid JSON */
        WT_ERR_NOT_OBJECT,     /**< JSON top level is not an object */
        WT_ERR_FIELD_MISSING,  /**< none of the configured text fields exist */
        WT_ERR_FIELD_TYPE,     /**< a text field is not a string */
        WT_ERR_UTF8,           /**< text is not valid UTF-8 */
        WT_ERR_TOO_LARGE,      /**< input exceeds the configured limit */
        WT_ERR_LABELS,         /**< "labels" missing or malformed (training data) */
        WT_ERR_OUTPUT_REFUSED, /**< the broker refused an output record for good */
        /* Model file errors. */
        WT_ERR_MODEL_TRUNCATED,/**< file ends before a section does */
        WT_ERR_MODEL_MAGIC,    /**< not a wiretag model file */
        WT_ERR_MODEL_VERSION,  /**< format version this build cannot read */
        WT_ERR_MODEL_CHECKSUM, /**< content does not match its checksum */
        WT_ERR_MODEL_CORRUPT,  /**< a field holds an impossible value */
        /* Training errors. */
        WT_ERR_TRAIN,          /**< training could not proceed (no data...) */
        WT_ERR__CNT
} wt_err_t;

/** Stable lower-case name of an error code, e.g. "json", "field_missing".
 *  Used in DLQ headers and JSON error records. Never NULL. */
const char *wt_err_name(wt_err_t err);

/** One-line English description of an error code. Never NULL. */
const char *wt_err_describe(wt_err_t err);

/** snprintf into errstr if errstr is non-NULL; returns err.
 *  Lets error paths read `return wt_seterr(errstr, size, WT_ERR_IO, "...")`. */
wt_err_t wt_seterr(char *errstr, size_t errstr_size, wt_err_t err,
                   const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 4, 5)))
#endif
        ;

#ifdef __cplusplus
}
#endif

#endif /* WT_ERR_H */
