/*
 * wiretag - wt_err.c: names and descriptions of wt_err_t.
 */
#include "wt_err.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
        const char *name;
        const char *desc;
} wt_err_tbl[WT_ERR__CNT] = {
        [WT_OK]                  = {"ok", "success"},
        [WT_ERR_NOMEM]           = {"nomem", "out of memory"},
        [WT_ERR_IO]              = {"io", "input/output error"},
        [WT_ERR_INVALID_ARG]     = {"invalid_arg", "invalid argument"},
        [WT_ERR_JSON]            = {"json", "input is not valid JSON"},
        [WT_ERR_NOT_OBJECT]      = {"not_object", "JSON input is not an object"},
        [WT_ERR_FIELD_MISSING]   = {"field_missing", "no configured text field is present"},
        [WT_ERR_FIELD_TYPE]      = {"field_type", "a text field is not a string"},
        [WT_ERR_UTF8]            = {"utf8", "text is not valid UTF-8"},
        [WT_ERR_TOO_LARGE]       = {"too_large", "input exceeds the size limit"},
        [WT_ERR_LABELS]          = {"labels", "labels missing or malformed"},
        [WT_ERR_OUTPUT_REFUSED]  = {"output_refused", "the broker refused an output record"},
        [WT_ERR_MODEL_TRUNCATED] = {"model_truncated", "model file is truncated"},
        [WT_ERR_MODEL_MAGIC]     = {"model_magic", "not a wiretag model file"},
        [WT_ERR_MODEL_VERSION]   = {"model_version", "unsupported model format version"},
        [WT_ERR_MODEL_CHECKSUM]  = {"model_checksum", "model checksum mismatch"},
        [WT_ERR_MODEL_CORRUPT]   = {"model_corrupt", "model file is corrupt"},
        [WT_ERR_TRAIN]           = {"train", "training failed"},
};

const char *wt_err_name(wt_err_t err) {
        if ((unsigned)err >= WT_ERR__CNT)
                return "unknown";
        return wt_err_tbl[err].name;
}

const char *wt_err_describe(wt_err_t err) {
        if ((unsigned)err >= WT_ERR__CNT)
                return "unknown error";
        return wt_err_tbl[err].desc;
}

wt_err_t wt_seterr(char *errstr, size_t errstr_size, wt_err_t err,
                   const char *fmt, ...) {
        va_list ap;
        if (!errstr || errstr_size == 0)
                return err;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
        return err;
}
