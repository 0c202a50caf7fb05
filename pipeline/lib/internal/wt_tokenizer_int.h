/*
 * wiretag - wt_tokenizer_int.h: the tokenizer's body, for the library's
 * own hot loop.
 *
 * wt_tokenizer_next() is called once per token, and feature hashing
 * (wt_features.c) calls nothing more often: as a call into another file it
 * spilled and reloaded the tokenizer's state around every token. The body
 * lives here as wt_tokenizer_next_inline(), so wt_features.c compiles it
 * into its loop with the state in registers, and wt_tokenizer.c wraps it
 * as the public wt_tokenizer_next(): one tokenizer, not two.
 * See wt_tokenizer.c for how it works.
 */
#ifndef WT_TOKENIZER_INT_H
#define WT_TOKENIZER_INT_H

#include <stdint.h>
#include <string.h>

#include <utf8proc.h>

#include "wt_port.h"
#include "wt_tokenizer.h"


/*
 * ASCII fold tables, one per WT_TOK_FOLD_* flag combination, so that the
 * word loop needs no per-byte flag tests. An entry is:
 *   0           the byte separates words,
 *   0x80        the byte is >= 0x80: decode a UTF-8 sequence,
 *   1..0x7f     the byte is a word character; the value is its folded form.
 * Built by macros at compile time: no run-time initialisation, no races.
 */
#define WT_A_ISWORD(c) (((c) >= '0' && (c) <= '9') ||                   \
                        ((c) >= 'A' && (c) <= 'Z') ||                   \
                        ((c) >= 'a' && (c) <= 'z'))
#define WT_A_FOLD(f, c)                                                 \
        ((((f) & WT_TOK_FOLD_DIGITS) && (c) >= '0' && (c) <= '9') ? '0' : \
         (((f) & WT_TOK_FOLD_CASE) && (c) >= 'A' && (c) <= 'Z') ?       \
         (c) + ('a' - 'A') : (c))
#define WT_A_E(f, c)                                                    \
        (unsigned char)((c) >= 0x80 ? 0x80 :                            \
                        WT_A_ISWORD(c) ? WT_A_FOLD(f, c) : 0)
#define WT_A_R4(f, c)  WT_A_E(f, (c)), WT_A_E(f, (c) + 1),              \
                       WT_A_E(f, (c) + 2), WT_A_E(f, (c) + 3)
#define WT_A_R16(f, c) WT_A_R4(f, (c)), WT_A_R4(f, (c) + 4),            \
                       WT_A_R4(f, (c) + 8), WT_A_R4(f, (c) + 12)
#define WT_A_R64(f, c) WT_A_R16(f, (c)), WT_A_R16(f, (c) + 16),         \
                       WT_A_R16(f, (c) + 32), WT_A_R16(f, (c) + 48)
#define WT_A_R256(f)   { WT_A_R64(f, 0), WT_A_R64(f, 64),               \
                         WT_A_R64(f, 128), WT_A_R64(f, 192) }

#define WT_A_NONASCII 0x80

static const unsigned char wt_ascii_fold[4][256] = {
        WT_A_R256(0),
        WT_A_R256(1),
        WT_A_R256(2),
        WT_A_R256(3),
};


/*
 * What an ASCII separator byte means for sentence detection.
 * \v and \f count as whitespace too: they are whitespace in every sense
 * that matters for "a terminator followed by a space".
 */
enum {
        WT_G_OTHER = 0,  /**< punctuation, controls: no effect */
        WT_G_SPACE,      /**< whitespace: completes a pending terminator */
        WT_G_NEWLINE,    /**< '\n': always a sentence boundary */
        WT_G_TERM,       /**< . ! ?: a boundary if whitespace follows */
};

static const unsigned char wt_gap_class[256] = {
        ['\t'] = WT_G_SPACE,
        ['\v'] = WT_G_SPACE,
        ['\f'] = WT_G_SPACE,
        ['\r'] = WT_G_SPACE,
        [' ']  = WT_G_SPACE,
        ['\n'] = WT_G_NEWLINE,
        ['.']  = WT_G_TERM,
        ['!']  = WT_G_TERM,
        ['?']  = WT_G_TERM,
};


/**
 * Decode one UTF-8 sequence at p (p < end) per RFC 3629 section 4:
 * overlongs (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF),
 * code points above U+10FFFF (F4 90.., F5..FF), stray continuation bytes
 * and sequences cut short by `end` are all rejected.
 *
 * Returns the sequence length 1..4 with *cpp set, or 0 if invalid.
 */
static inline size_t wt_utf8_decode(const unsigned char *p,
                                    const unsigned char *end,
                                    int32_t *cpp) {
        size_t avail = (size_t)(end - p);
        unsigned c = p[0];
        unsigned lo = 0x80, hi = 0xbf;

        if (c < 0x80) {
                *cpp = (int32_t)c;
                return 1;
        }

        if (c < 0xc2)           /* continuation byte, or C0/C1 overlong */
                return 0;

        if (c < 0xe0) {
                if (avail < 2 || (p[1] & 0xc0) != 0x80)
                        return 0;
                *cpp = (int32_t)(((c & 0x1fu) << 6) | (p[1] & 0x3fu));
                return 2;
        }

        if (c < 0xf0) {
                if (c == 0xe0)
                        lo = 0xa0;      /* overlong */
                else if (c == 0xed)
                        hi = 0x9f;      /* surrogates D800..DFFF */
                if (avail < 3 || p[1] < lo || p[1] > hi ||
                    (p[2] & 0xc0) != 0x80)
                        return 0;
                *cpp = (int32_t)(((c & 0x0fu) << 12) |
                                 ((p[1] & 0x3fu) << 6) |
                                 (p[2] & 0x3fu));
                return 3;
        }

        if (c < 0xf5) {
                if (c == 0xf0)
                        lo = 0x90;      /* overlong */
                else if (c == 0xf4)
                        hi = 0x8f;      /* > U+10FFFF */
                if (avail < 4 || p[1] < lo || p[1] > hi ||
                    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
                        return 0;
                *cpp = (int32_t)(((c & 0x07u) << 18) |
                                 ((p[1] & 0x3fu) << 12) |
                                 ((p[2] & 0x3fu) << 6) |
                                 (p[3] & 0x3fu));
                return 4;
        }

        return 0;               /* F5..FF: never valid */
}


/*
 * The ASCII word run in blocks of 16 bytes, with SSE2 (every x86-64 CPU).
 * wt_ascii_word_block() classifies p[0..16) at once: k = how many leading
 * bytes are ASCII word characters ([0-9A-Za-z]); those bytes, folded as
 * flags say, are stored at dst (all 16 are written: dst has room). Bytes
 * >= 0x80 are negative as signed chars, so they end the run like any
 * separator and the byte loop decodes them. Define WT_TOK_SIMD=0 for the
 * scalar twin alone (test_tokenizer_twin checks both agree).
 * WT_TOK_SIMD_BUILT says whether libwiretag's own build has the block
 * path, so that test can tell when there is nothing to compare.
 */
#if defined(__SSE2__)
#define WT_TOK_SIMD_BUILT 1
#else
#define WT_TOK_SIMD_BUILT 0
#endif
#ifndef WT_TOK_SIMD
#define WT_TOK_SIMD WT_TOK_SIMD_BUILT
#endif

#if WT_TOK_SIMD
#include <emmintrin.h>

/* lo <= v <= hi, bytes as unsigned, in one signed compare: adding
 * 0x80 - lo moves lo to -128, so the range is the bytes below
 * -128 + (hi - lo + 1). */
static inline __m128i wt_in_range(__m128i v, char lo, char hi) {
        return _mm_cmplt_epi8(
                _mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - lo))),
                _mm_set1_epi8((char)(hi - lo + 1 - 128)));
}

static inline size_t wt_ascii_word_block(const unsigned char *p,
                                         unsigned flags, unsigned char *dst) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i digit = wt_in_range(v, '0', '9');
        /* Setting bit 5 maps A-Z onto a-z and no other byte into it. */
        __m128i letter = wt_in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)),
                                     'a', 'z');
        __m128i word = _mm_or_si128(digit, letter);
        unsigned mask = (unsigned)_mm_movemask_epi8(word);

        if (flags & WT_TOK_FOLD_CASE) /* lower case: bit 5 set */
                v = _mm_or_si128(v, _mm_and_si128(letter,
                                                  _mm_set1_epi8(0x20)));
        if (flags & WT_TOK_FOLD_DIGITS)
                v = _mm_or_si128(_mm_andnot_si128(digit, v),
                                 _mm_and_si128(digit, _mm_set1_epi8('0')));
        _mm_storeu_si128((__m128i *)(void *)dst, v);
        return mask == 0xffffu ? 16 : (size_t)__builtin_ctz(~mask);
}
#endif

/** Letters, marks and numbers make words (see wt_tokenizer.h). */
static inline int wt_cat_is_word(utf8proc_category_t cat) {
        return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO;
}


static WT_INLINE int wt_tokenizer_next_inline(wt_tokenizer_t *tk,
                                             wt_token_t *tok) {
        const unsigned char *fold = wt_ascii_fold[tk->flags & 3u];
        const unsigned char *p = tk->p;
        const unsigned char *end = tk->end;
        const unsigned char *wstart;
        unsigned char *buf = (unsigned char *)tk->buf;
        size_t o = 0, cap = WT_TOKEN_MAX;
        int term = 0;           /* terminator seen in this gap */
        int brk = 0;            /* gap makes a sentence boundary */

        /*
         * Skip the gap up to the next word character, noting whether it
         * ends a sentence. Invalid sequences are counted here (and only
         * here: the word loop stops in front of them without consuming).
         */
        while (p < end) {
                unsigned c = *p;
                unsigned m = fold[c];
                utf8proc_category_t cat;
                int32_t cp;
                size_t n;

                if (m != 0 && m != WT_A_NONASCII)
                        break;                  /* ASCII word char */

                if (m == 0) {
                        switch (wt_gap_class[c]) {
                        case WT_G_SPACE:
                                brk |= term;
                                break;
                        case WT_G_NEWLINE:
                                brk = 1;
                                break;
                        case WT_G_TERM:
                                term = 1;
                                break;
                        default:
                                break;
                        }
                        p++;
                        continue;
                }

                if (!(n = wt_utf8_decode(p, end, &cp))) {
                        tk->invalid++;
                        p++;
                        continue;
                }

                cat = utf8proc_category(cp);
                if (wt_cat_is_word(cat))
                        break;
                if (cat == UTF8PROC_CATEGORY_ZS) {
                        brk |= term;
                } else if (cat == UTF8PROC_CATEGORY_ZL ||
                           cat == UTF8PROC_CATEGORY_ZP) {
                        /* U+2028/U+2029 are newlines by another name. */
                        brk = 1;
                } else if (cp == 0x3002 || cp == 0x0964 || cp == 0x061f) {
                        /* Ideographic full stop, danda, Arabic question
                         * mark: scripts using them often put no space
                         * after them (CJK never does), and unlike '.'
                         * they do not occur inside numbers or URLs, so
                         * they end the sentence on their own. */
                        brk = 1;
                }
                p += n;
        }

        if (p == end) {
                tk->p = p;
                return 0;
        }

        wstart = p;

        /*
         * Copy the word, folding as we go. cap drops to the current length
         * the first time a character does not fit, so the token always
         * ends on a whole code point and the rest of the word is skipped.
         */
        for (;;) {
                unsigned m = 0;
                int32_t cp;
                size_t n, en;
                unsigned char enc[4];

#if WT_TOK_SIMD
                /* ASCII run, 16 bytes at a time (the bulk of news text);
                 * the byte loop below is its scalar twin and finishes
                 * every run. */
                while (end - p >= 16) {
                        size_t k = wt_ascii_word_block(p, tk->flags,
                                                       buf + o);
                        o = o + k < cap ? o + k : cap; /* o <= cap */
                        p += k;
                        if (k < 16)
                                break;
                }
#endif
                /* ASCII run: one lookup and one store per byte. */
                while (p < end) {
                        m = fold[*p];
                        if (m - 1u >= 0x7fu)    /* 0 or WT_A_NONASCII */
                                break;
                        if (o < cap)
                                buf[o++] = (unsigned char)m;
                        p++;
                }

                if (p == end || m == 0)
                        break;

                /* Non-ASCII: invalid bytes and non-word code points end
                 * the word; the gap loop of the next call handles them. */
                if (!(n = wt_utf8_decode(p, end, &cp)) ||
                    !wt_cat_is_word(utf8proc_category(cp)))
                        break;

                if (tk->flags & WT_TOK_FOLD_CASE)
                        cp = utf8proc_tolower(cp);

                en = (size_t)utf8proc_encode_char(cp, enc);
                if (o + en <= cap) {
                        memcpy(buf + o, enc, en);
                        o += en;
                } else {
                        cap = o;
                }
                p += n;
        }

        buf[o] = '\0';
        tok->text           = tk->buf;
        tok->len            = o;
        tok->offset         = (size_t)(wstart - tk->start);
        tok->sentence_start = tk->first || brk;
        tk->first           = 0;
        tk->p               = p;
        return 1;
}

#endif /* WT_TOKENIZER_INT_H */
