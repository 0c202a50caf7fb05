/*
 * wiretag - wt_tokenizer.c: UTF-8 word tokenizer.
 *
 * The tokenizer sits on the hot path of both training and scoring, so
 * ASCII (the bulk of news text) is handled with one table lookup per byte
 * and never reaches utf8proc. Only code points >= U+0080 are decoded (by
 * our own bounds-checked decoder, so malformed input is counted rather
 * than trusted) and classified through utf8proc.
 */
#include "wt_tokenizer.h"

#include <string.h>

#include "wt_tokenizer_int.h"


void wt_tokenizer_init(wt_tokenizer_t *tk, const char *text, size_t len,
                       unsigned flags) {
        /* Arithmetic on a NULL pointer is undefined even with len 0. */
        if (!text) {
                text = "";
                len = 0;
        }
        tk->start   = (const unsigned char *)text;
        tk->p       = tk->start;
        tk->end     = tk->start + len;
        tk->flags   = flags & (WT_TOK_FOLD_CASE | WT_TOK_FOLD_DIGITS);
        tk->invalid = 0;
        tk->first   = 1;
        tk->buf[0]  = '\0';
}


int wt_tokenizer_next(wt_tokenizer_t *tk, wt_token_t *tok) {
        return wt_tokenizer_next_inline(tk, tok);
}


size_t wt_utf8_invalid_offset(const char *text, size_t len) {
        const unsigned char *s = (const unsigned char *)text;
        const unsigned char *p = s, *end;
        int32_t cp;
        size_t n;

        if (!text)
                return (size_t)-1;
        end = s + len;

        while (p < end) {
                /* Skip pure-ASCII stretches eight bytes at a time. */
                while ((size_t)(end - p) >= 8) {
                        uint64_t w;
                        memcpy(&w, p, 8);
                        if (w & UINT64_C(0x8080808080808080))
                                break;
                        p += 8;
                }
                if (p == end)
                        break;
                if (*p < 0x80) {
                        p++;
                        continue;
                }
                if (!(n = wt_utf8_decode(p, end, &cp)))
                        return (size_t)(p - s);
                p += n;
        }

        return (size_t)-1;
}
