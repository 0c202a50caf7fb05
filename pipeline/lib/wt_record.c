/*
 * wiretag - wt_record.c: the labeled record, spliced (see wt_record.h).
 */
#include "wt_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_jsonmem.h"


static int wt_rec_reserve(wt_recbuf_t *b, size_t more) {
        size_t need = b->len + more + 1, cap = b->cap ? b->cap : 1024;
        char *p;
        if (need <= b->cap)
                return 0;
        while (cap < need)
                cap *= 2;
        if (!(p = realloc(b->data, cap)))
                return -1;
        b->data = p;
        b->cap = cap;
        return 0;
}

static int wt_rec_put(wt_recbuf_t *b, const char *s, size_t n) {
        if (wt_rec_reserve(b, n))
                return -1;
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

/* s as a JSON string: quotes, and escapes for '"', '\\' and control
 * bytes (what jansson escapes without JSON_ENSURE_ASCII). */
static int wt_rec_put_string(wt_recbuf_t *b, const char *s) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *)s;
        if (wt_rec_put(b, "\"", 1))
                return -1;
        for (; *p; p++) {
                char esc[6];
                size_t n = 2;
                esc[0] = '\\';
                switch (*p) {
                case '"': esc[1] = '"'; break;
                case '\\': esc[1] = '\\'; break;
                case '\b': esc[1] = 'b'; break;
                case '\f': esc[1] = 'f'; break;
                case '\n': esc[1] = 'n'; break;
                case '\r': esc[1] = 'r'; break;
                case '\t': esc[1] = 't'; break;
                default:
                        if (*p >= 0x20) {
                                esc[0] = (char)*p;
                                n = 1;
                        } else {
                                memcpy(esc, "\\u00", 4);
                                esc[4] = hex[*p >> 4];
                                esc[5] = hex[*p & 15];
                                n = 6;
                        }
                }
                if (wt_rec_put(b, esc, n))
                        return -1;
        }
        return wt_rec_put(b, "\"", 1);
}

/* A real as jansson writes it with JSON_REAL_PRECISION(6): "%.6g", the
 * exponent without '+' or leading zeros (3e-05 -> 3e-5), and ".0"
 * appended when that looks like an integer. */
static int wt_rec_put_real(wt_recbuf_t *b, double v) {
        char num[40], *e;
        int n = snprintf(num, sizeof(num), "%.6g", v);
        if (n < 0 || (size_t)n >= sizeof(num) - 2)
                return -1;
        if ((e = strchr(num, 'e'))) {
                char *dst = e + 1, *src = e + 1;
                if (*src == '-')
                        dst = ++src; /* keep the minus */
                else if (*src == '+')
                        src++;       /* drop the plus */
                while (*src == '0' && src[1])
                        src++;
                memmove(dst, src, strlen(src) + 1);
                n = (int)strlen(num);
        } else if (!strchr(num, '.')) {
                memcpy(num + n, ".0", 3);
                n += 2;
        }
        return wt_rec_put(b, num, (size_t)n);
}

static int wt_rec_put_prediction(wt_recbuf_t *b, const wt_model_t *m,
                                 const wt_prediction_t *pred) {
        size_t i;
        if (wt_rec_put(b, "{\"labels\":[", 11))
                return -1;
        for (i = 0; i < pred->ntags; i++) {
                if ((i && wt_rec_put(b, ",", 1)) ||
                    wt_rec_put(b, "{\"label\":", 9) ||
                    wt_rec_put_string(b,
                                      wt_model_label(m, pred->tags[i].label)) ||
                    wt_rec_put(b, ",\"score\":", 9) ||
                    wt_rec_put_real(b, (double)pred->tags[i].score) ||
                    wt_rec_put(b, "}", 1))
                        return -1;
        }
        if (wt_rec_put(b, "],\"model\":", 10) ||
            wt_rec_put_string(b, wt_model_name(m)) ||
            wt_rec_put(b, ",\"model_id\":", 12) ||
            wt_rec_put_string(b, wt_model_id(m)) || wt_rec_put(b, "}", 1))
                return -1;
        return 0;
}

wt_err_t wt_record_build(const char *json, size_t len, json_t *root,
                         const wt_model_t *model,
                         const wt_prediction_t *pred, wt_recbuf_t *out) {
        out->len = 0;
        if (json_object_get(root, "wiretag")) {
                /* Rare: replace the member, re-serialising the article. */
                json_t *p = wt_prediction_json(model, pred);
                char *txt;
                int rc;
                if (!p || json_object_set_new(root, "wiretag", p))
                        return WT_ERR_NOMEM;
                txt = json_dumps(root,
                                 JSON_COMPACT | JSON_REAL_PRECISION(6));
                if (!txt)
                        return WT_ERR_NOMEM;
                rc = wt_rec_put(out, txt, strlen(txt));
                wt_jsonmem_free(txt); /* jansson's allocator made it */
                return rc ? WT_ERR_NOMEM : WT_OK;
        }

        if (!json_is_object(root))
                return WT_ERR_NOT_OBJECT;
        return wt_record_splice(json, len, json_object_size(root) > 0, model,
                                pred, out);
}

wt_err_t wt_record_splice(const char *json, size_t len, int nonempty,
                          const wt_model_t *model,
                          const wt_prediction_t *pred, wt_recbuf_t *out) {
        size_t end = len;

        out->len = 0;
        /* The closing brace: the last byte but JSON whitespace. */
        while (end > 0 && (json[end - 1] == ' ' || json[end - 1] == '\t' ||
                           json[end - 1] == '\n' || json[end - 1] == '\r'))
                end--;
        if (end == 0 || json[end - 1] != '}')
                return WT_ERR_NOT_OBJECT;
        end--;

        if (wt_rec_reserve(out, len + 256) || wt_rec_put(out, json, end) ||
            (nonempty && wt_rec_put(out, ",", 1)) ||
            wt_rec_put(out, "\"wiretag\":", 10) ||
            wt_rec_put_prediction(out, model, pred) || wt_rec_put(out, "}", 1))
                return WT_ERR_NOMEM;
        return WT_OK;
}

wt_err_t wt_record_from_scan(const char *json, size_t len,
                             const wt_article_scan_t *sc,
                             const wt_feature_conf_t *conf, size_t max_bytes,
                             const wt_model_t *model,
                             const wt_prediction_t *pred, wt_recbuf_t *out,
                             char *errstr, size_t errstr_size) {
        wt_article_t art;
        wt_err_t err;

        if (!sc->root && !sc->has_wiretag)
                err = wt_record_splice(json, len, sc->nonempty, model, pred,
                                       out);
        else if (sc->root)
                err = wt_record_build(json, len, sc->root, model, pred, out);
        else {
                /* A "wiretag" member to replace: that takes an object. */
                memset(&art, 0, sizeof(art));
                err = wt_article_parse(json, len, conf, max_bytes, &art,
                                       errstr, errstr_size);
                if (err) {
                        wt_article_clear(&art);
                        return err;
                }
                err = wt_record_build(json, len, art.root, model, pred, out);
                wt_article_clear(&art);
        }
        if (err)
                snprintf(errstr, errstr_size, "%s", wt_err_describe(err));
        return err;
}

void wt_recbuf_free(wt_recbuf_t *out) {
        free(out->data);
        memset(out, 0, sizeof(*out));
}
