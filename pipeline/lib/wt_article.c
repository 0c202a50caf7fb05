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

/*
 * The scanner behind wt_article_scan().
 *
 * Why not jansson: building a DOM of every member, hashing every key and
 * copying every string was most of `wiretag classify`'s time, for the
 * two strings classification reads. The scanner walks the bytes once,
 * checks them against RFC 8259 (and RFC 3629 inside strings), notes where
 * the top level's configured fields are, and decodes only those that hold
 * escapes.
 *
 * It may only accept what jansson accepts, and must then find the same
 * strings; anything it is not sure of, it defers to jansson. So it
 * accepts a strict subset: no exponents (jansson rejects reals that
 * overflow a double), no integers of more than 18 digits (nor those that
 * overflow json_int_t), no escaped keys (jansson compares decoded keys
 * and rejects NUL in them), no lone surrogate escapes, no nesting deeper
 * than WT_SCAN_DEPTH (jansson stops at 2,048). Every error defers too, so
 * jansson words the message exactly as wt_article_parse() does.
 */
#include <stdint.h>
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define WT_SCAN_DEPTH 512

enum { WT_SCAN_ACCEPT, WT_SCAN_DEFER, WT_SCAN_NOMEM };
enum { WT_FK_ABSENT, WT_FK_STRING, WT_FK_NULL, WT_FK_OTHER };

typedef struct wt_scan_field {
        const unsigned char *s; /* raw string bytes, between the quotes */
        size_t len;
        int esc;                /* holds a backslash */
        int kind;               /* WT_FK_* of the last occurrence */
} wt_scan_field_t;

static int wt_scan_ws(int c) {
        return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static int wt_scan_hex4(const unsigned char *p, const unsigned char *end,
                        unsigned *u) {
        unsigned v = 0;
        int i;
        if (end - p < 4)
                return 0;
        for (i = 0; i < 4; i++) {
                unsigned c = p[i], d;
                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        d = c - 'A' + 10;
                else
                        return 0;
                v = v << 4 | d;
        }
        *u = v;
        return 1;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t wt_scan_utf8(const unsigned char *p, const unsigned char *end) {
        unsigned c = p[0], lo = 0x80, hi = 0xbf;
        size_t n, i;
        if (c < 0xc2)
                return 0;
        if (c < 0xe0) {
                n = 2;
        } else if (c < 0xf0) {
                n = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;
        } else if (c < 0xf5) {
                n = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
        } else {
                return 0;
        }
        if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
                return 0;
        for (i = 2; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
        return n;
}

/* p is just past an opening quote. Returns the closing quote, or NULL
 * to defer; *esc is set when the string holds an escape. Plain bytes are
 * skipped 16 at a time: the block stops at '"', '\\', and any byte that is
 * negative as a signed char or below 0x20 (non-ASCII and controls). */
static const unsigned char *wt_scan_string(const unsigned char *p,
                                           const unsigned char *end,
                                           int *esc) {
        for (;;) {
                unsigned c;
#if defined(__SSE2__)
                while (end - p >= 16) {
                        __m128i v = _mm_loadu_si128(
                                (const __m128i *)(const void *)p);
                        __m128i m = _mm_or_si128(
                                _mm_or_si128(
                                        _mm_cmpeq_epi8(v,
                                                       _mm_set1_epi8('"')),
                                        _mm_cmpeq_epi8(v,
                                                       _mm_set1_epi8('\\'))),
                                _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
                        unsigned mask = (unsigned)_mm_movemask_epi8(m);
                        if (mask) {
                                p += __builtin_ctz(mask);
                                break;
                        }
                        p += 16;
                }
#endif
                if (p >= end)
                        return NULL;
                c = *p;
                if (c == '"')
                        return p;
                if (c == '\\') {
                        unsigned u, lo;
                        *esc = 1;
                        if (end - p < 2)
                                return NULL;
                        switch (p[1]) {
                        case '"': case '\\': case '/': case 'b':
                        case 'f': case 'n': case 'r': case 't':
                                p += 2;
                                continue;
                        case 'u':
                                if (!wt_scan_hex4(p + 2, end, &u))
                                        return NULL;
                                p += 6;
                                if (u >= 0xdc00 && u <= 0xdfff)
                                        return NULL;
                                if (u >= 0xd800 && u <= 0xdbff) {
                                        if (end - p < 6 || p[0] != '\\' ||
                                            p[1] != 'u' ||
                                            !wt_scan_hex4(p + 2, end, &lo) ||
                                            lo < 0xdc00 || lo > 0xdfff)
                                                return NULL;
                                        p += 6;
                                }
                                continue;
                        default:
                                return NULL;
                        }
                }
                if (c < 0x20)
                        return NULL;
                if (c < 0x80) {
                        p++;
                } else {
                        size_t n = wt_scan_utf8(p, end);
                        if (!n)
                                return NULL;
                        p += n;
                }
        }
}

/* A number without exponent; NULL to defer (see above). */
static const unsigned char *wt_scan_number(const unsigned char *p,
                                           const unsigned char *end) {
        const unsigned char *digits;
        if (p < end && *p == '-')
                p++;
        digits = p;
        if (p >= end)
                return NULL;
        if (*p == '0')
                p++;
        else if (*p >= '1' && *p <= '9')
                while (p < end && *p >= '0' && *p <= '9')
                        p++;
        else
                return NULL;
        if (p < end && *p == '.') {
                p++;
                if (p >= end || *p < '0' || *p > '9')
                        return NULL;
                while (p < end && *p >= '0' && *p <= '9')
                        p++;
                if (p - digits > 300)
                        return NULL;
        } else if (p - digits > 18) {
                return NULL;
        }
        if (p < end && (*p == 'e' || *p == 'E'))
                return NULL;
        return p;
}

/* Decode the validated string s[0..len) as jansson does: escapes
 * resolved, \u escapes (surrogate pairs joined) written as UTF-8. */
static size_t wt_scan_unescape(const unsigned char *s, size_t len,
                               char *out) {
        const unsigned char *end = s + len;
        char *o = out;
        while (s < end) {
                unsigned u = 0, lo = 0xdc00;
                if (*s != '\\') {
                        *o++ = (char)*s++;
                        continue;
                }
                switch (s[1]) {
                case 'b': *o++ = '\b'; break;
                case 'f': *o++ = '\f'; break;
                case 'n': *o++ = '\n'; break;
                case 'r': *o++ = '\r'; break;
                case 't': *o++ = '\t'; break;
                case 'u':
                        (void)wt_scan_hex4(s + 2, end, &u);
                        if (u >= 0xd800 && u <= 0xdbff) {
                                (void)wt_scan_hex4(s + 8, end, &lo);
                                u = 0x10000 + ((u - 0xd800) << 10) +
                                    (lo - 0xdc00);
                                s += 6;
                        }
                        if (u < 0x80) {
                                *o++ = (char)u;
                        } else if (u < 0x800) {
                                *o++ = (char)(0xc0 | u >> 6);
                                *o++ = (char)(0x80 | (u & 0x3f));
                        } else if (u < 0x10000) {
                                *o++ = (char)(0xe0 | u >> 12);
                                *o++ = (char)(0x80 | (u >> 6 & 0x3f));
                                *o++ = (char)(0x80 | (u & 0x3f));
                        } else {
                                *o++ = (char)(0xf0 | u >> 18);
                                *o++ = (char)(0x80 | (u >> 12 & 0x3f));
                                *o++ = (char)(0x80 | (u >> 6 & 0x3f));
                                *o++ = (char)(0x80 | (u & 0x3f));
                        }
                        s += 6;
                        continue;
                default: /* '"', '\\', '/' */
                        *o++ = (char)s[1];
                        break;
                }
                s += 2;
        }
        return (size_t)(o - out);
}

/* The configured fields a scan found, in the configured order, as
 * wt_article_from_json() picks them (its errors are jansson's to word):
 * unescaped into sc->text where they hold escapes, borrowed from the
 * input otherwise. */
static int wt_scan_fields(const wt_feature_conf_t *conf,
                          const wt_scan_field_t *field,
                          wt_article_scan_t *sc) {
        size_t need = 0;
        unsigned i;

        for (i = 0; i < conf->nfields; i++) {
                if (field[i].kind == WT_FK_OTHER)
                        return WT_SCAN_DEFER;
                if (field[i].kind == WT_FK_STRING && field[i].esc)
                        need += field[i].len;
        }
        if (need > sc->text_cap) {
                size_t cap = sc->text_cap ? sc->text_cap : 4096;
                char *t;
                while (cap < need)
                        cap *= 2;
                if (!(t = malloc(cap)))
                        return WT_SCAN_NOMEM;
                free(sc->text);
                sc->text = t;
                sc->text_cap = cap;
        }
        need = 0;
        for (i = 0; i < conf->nfields; i++) {
                wt_segments_t *segs = &sc->segs;
                if (field[i].kind != WT_FK_STRING)
                        continue;
                if (field[i].esc) {
                        segs->text[segs->n] = sc->text + need;
                        segs->len[segs->n] = wt_scan_unescape(
                                field[i].s, field[i].len, sc->text + need);
                        need += segs->len[segs->n];
                } else {
                        segs->text[segs->n] = (const char *)field[i].s;
                        segs->len[segs->n] = field[i].len;
                }
                segs->n++;
        }
        if (sc->segs.n == 0)
                return WT_SCAN_DEFER;
        return WT_SCAN_ACCEPT;
}

static int wt_scan_fast(const char *buf, size_t len,
                        const wt_feature_conf_t *conf,
                        wt_article_scan_t *sc) {
        const unsigned char *p = (const unsigned char *)buf;
        const unsigned char *end = p + len;
        unsigned char stack[WT_SCAN_DEPTH]; /* 1: object, 0: array */
        wt_scan_field_t field[WT_FIELDS_MAX];
        unsigned match = 0; /* fields named by the current top-level key */
        size_t depth = 0;
        unsigned i;

        memset(field, 0, sizeof(field));
        while (p < end && wt_scan_ws(*p))
                p++;
        if (p == end || *p != '{')
                return WT_SCAN_DEFER;
        p++;
        stack[depth++] = 1;
        goto object_open;

object_open:
        while (p < end && wt_scan_ws(*p))
                p++;
        if (p < end && *p == '}') {
                p++;
                goto close;
        }
        /* fall through: a key */
object_key:
        while (p < end && wt_scan_ws(*p))
                p++;
        if (p == end || *p != '"')
                return WT_SCAN_DEFER;
        {
                const unsigned char *k = ++p, *q;
                int esc = 0;
                size_t klen;
                if (!(q = wt_scan_string(p, end, &esc)) || esc)
                        return WT_SCAN_DEFER;
                klen = (size_t)(q - k);
                p = q + 1;
                if (depth == 1) {
                        sc->nonempty = 1;
                        match = 0;
                        for (i = 0; i < conf->nfields; i++)
                                if (!strncmp(conf->fields[i], (const char *)k,
                                             klen) &&
                                    conf->fields[i][klen] == '\0')
                                        match |= 1u << i;
                        if (klen == 7 && !memcmp(k, "wiretag", 7))
                                sc->has_wiretag = 1;
                }
        }
        while (p < end && wt_scan_ws(*p))
                p++;
        if (p == end || *p != ':')
                return WT_SCAN_DEFER;
        p++;
        goto value;

array_open:
        while (p < end && wt_scan_ws(*p))
                p++;
        if (p < end && *p == ']') {
                p++;
                goto close;
        }
        /* fall through: a value */
value:
        while (p < end && wt_scan_ws(*p))
                p++;
        if (p == end)
                return WT_SCAN_DEFER;
        {
                int kind = WT_FK_OTHER;
                const unsigned char *s = NULL;
                int esc = 0;
                switch (*p) {
                case '{':
                case '[':
                        if (depth == 1)
                                for (i = 0; i < conf->nfields; i++)
                                        if (match & (1u << i))
                                                field[i].kind = WT_FK_OTHER;
                        if (depth == WT_SCAN_DEPTH)
                                return WT_SCAN_DEFER;
                        stack[depth++] = *p == '{';
                        if (*p++ == '{')
                                goto object_open;
                        goto array_open;
                case '"':
                        s = ++p;
                        if (!(p = wt_scan_string(p, end, &esc)))
                                return WT_SCAN_DEFER;
                        kind = WT_FK_STRING;
                        p++;
                        break;
                case 't':
                        if (end - p < 4 || memcmp(p, "true", 4))
                                return WT_SCAN_DEFER;
                        p += 4;
                        break;
                case 'f':
                        if (end - p < 5 || memcmp(p, "false", 5))
                                return WT_SCAN_DEFER;
                        p += 5;
                        break;
                case 'n':
                        if (end - p < 4 || memcmp(p, "null", 4))
                                return WT_SCAN_DEFER;
                        p += 4;
                        kind = WT_FK_NULL;
                        break;
                default:
                        if (!(p = wt_scan_number(p, end)))
                                return WT_SCAN_DEFER;
                        break;
                }
                if (depth == 1)
                        for (i = 0; i < conf->nfields; i++)
                                if (match & (1u << i)) {
                                        field[i].kind = kind;
                                        field[i].s = s;
                                        field[i].len = s ? (size_t)(p - 1 - s)
                                                         : 0;
                                        field[i].esc = esc;
                                }
        }
        /* fall through */
after_value:
        while (p < end && wt_scan_ws(*p))
                p++;
        if (p == end)
                return WT_SCAN_DEFER;
        if (*p == ',') {
                p++;
                if (stack[depth - 1])
                        goto object_key;
                goto value;
        }
        if (*p != (stack[depth - 1] ? '}' : ']'))
                return WT_SCAN_DEFER;
        p++;
        /* fall through */
close:
        if (--depth > 0)
                goto after_value;
        while (p < end && wt_scan_ws(*p))
                p++;
        if (p != end)
                return WT_SCAN_DEFER;

        return wt_scan_fields(conf, field, sc);
}

wt_err_t wt_article_scan(const char *buf, size_t len,
                         const wt_feature_conf_t *conf, size_t max_bytes,
                         wt_article_scan_t *sc, char *errstr,
                         size_t errstr_size) {
        wt_article_t art;
        wt_err_t err;

        wt_article_scan_release(sc);
        if (!(max_bytes > 0 && len > max_bytes)) {
                switch (wt_scan_fast(buf, len, conf, sc)) {
                case WT_SCAN_ACCEPT:
                        return WT_OK;
                case WT_SCAN_NOMEM:
                        wt_article_scan_release(sc);
                        return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                         "out of memory decoding an article "
                                         "of %zu bytes",
                                         len);
                default:
                        wt_article_scan_release(sc);
                        break;
                }
        }
        err = wt_article_parse(buf, len, conf, max_bytes, &art, errstr,
                               errstr_size);
        if (err)
                return err;
        sc->root = art.root;
        sc->segs = art.segs;
        sc->nonempty = json_object_size(art.root) > 0;
        sc->has_wiretag = json_object_get(art.root, "wiretag") != NULL;
        return WT_OK;
}

void wt_article_scan_release(wt_article_scan_t *sc) {
        json_decref(sc->root);
        sc->root = NULL;
        sc->segs.n = 0;
        sc->nonempty = 0;
        sc->has_wiretag = 0;
}

void wt_article_scan_free(wt_article_scan_t *sc) {
        if (!sc)
                return;
        wt_article_scan_release(sc);
        free(sc->text);
        memset(sc, 0, sizeof(*sc));
}
