/*
 * wiretag - wt_article.c: JSON article -> text segments.
 */
#include "wt_article.h"

#include <string.h>

wt_err_t wt_article_from_json(json_t *root, const wt_feature_conf_t *conf,
                              wt_segments_t *segs, char *errstr,
                              size_t errstr_size) {
        unsigned i;

        segs->n = 0;
        if (!json_is_object(root))
                return wt_seterr(errstr, errstr_size, WT_ERR_NOT_OBJECT,
                                 "article is a JSON %s, not an object",
                                 json_is_array(root)    ? "array"
                                 : json_is_string(root) ? "string"
                                 : json_is_number(root) ? "number"
                                 : json_is_boolean(root) ? "boolean"
                                                         : "null");
        for (i = 0; i < conf->nfields; i++) {
                json_t *v = json_object_get(root, conf->fields[i]);
                if (!v || json_is_null(v))
                        continue;
                if (!json_is_string(v))
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_FIELD_TYPE,
                                         "field \"%s\" is not a string",
                                         conf->fields[i]);
                segs->text[segs->n] = json_string_value(v);
                segs->len[segs->n] = json_string_length(v);
                segs->n++;
        }
        if (segs->n == 0) {
                char names[WT_FIELDS_MAX * (WT_FIELD_NAME_MAX + 2)];
                size_t off = 0;
                names[0] = '\0';
                for (i = 0; i < conf->nfields; i++)
                        off += (size_t)snprintf(names + off,
                                                sizeof(names) - off, "%s%s",
                                                i ? ", " : "",
                                                conf->fields[i]);
                return wt_seterr(errstr, errstr_size, WT_ERR_FIELD_MISSING,
                                 "no text field present (looked for %s)",
                                 names);
        }
        return WT_OK;
}

wt_err_t wt_article_parse(const char *buf, size_t len,
                          const wt_feature_conf_t *conf, size_t max_bytes,
                          wt_article_t *art, char *errstr,
                          size_t errstr_size) {
        json_error_t jerr;
        wt_err_t err;

        memset(art, 0, sizeof(*art));
        if (max_bytes > 0 && len > max_bytes)
                return wt_seterr(errstr, errstr_size, WT_ERR_TOO_LARGE,
                                 "article is %zu bytes, limit is %zu", len,
                                 max_bytes);

        art->root = json_loadb(buf, len, JSON_ALLOW_NUL | JSON_DECODE_ANY,
                               &jerr);
        if (!art->root) {
                wt_err_t code = json_error_code(&jerr) ==
                                                json_error_invalid_utf8
                                        ? WT_ERR_UTF8
                                        : WT_ERR_JSON;
                return wt_seterr(errstr, errstr_size, code,
                                 "%s at line %d, column %d (byte %d)",
                                 jerr.text, jerr.line, jerr.column,
                                 jerr.position);
        }
        err = wt_article_from_json(art->root, conf, &art->segs, errstr,
                                   errstr_size);
        if (err) {
                json_decref(art->root);
                art->root = NULL;
        }
        return err;
}

void wt_article_clear(wt_article_t *art) {
        if (!art)
                return;
        json_decref(art->root);
        memset(art, 0, sizeof(*art));
}
