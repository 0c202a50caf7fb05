/*
 * wiretag - wt_tokenizer.h: UTF-8 word tokenizer.
 *
 * Splits text into case-folded word tokens. A word character is any code
 * point whose Unicode general category is a letter (L*), a combining mark
 * (M*, so Bengali or Devanagari vowel signs stay inside their word) or a
 * number (N*). Everything else separates tokens.
 *
 * Guarantees:
 *  - reads only text[0..len), never past it; text need not be NUL-terminated;
 *  - never splits a multi-byte UTF-8 sequence;
 *  - an invalid byte sequence (overlong, surrogate, truncated, stray
 *    continuation byte, > U+10FFFF) acts as a separator, one byte at a time,
 *    and is counted in wt_tokenizer_t.invalid;
 *  - ASCII takes a table-driven fast path; other code points go through
 *    utf8proc for category and simple lower-case mapping;
 *  - no allocation: tokens are written into the tokenizer's own buffer.
 *
 * Sentence boundaries are reported so that models can score sentences:
 * a token starts a sentence when it is the first token, or when the gap
 * before it holds a newline (or U+2028/U+2029), or one of . ! ? followed
 * later in the gap by whitespace (so "5.93" stays one sentence and "end.
 * Next" does not), or one of U+3002, U+0964 (danda), U+061F, which need no
 * whitespace after them. "U.S. troops" is split after "s": acceptable for
 * pooling, which only needs sentence-sized pieces.
 *
 * Known limits: zero-width (non-)joiners and soft hyphens are format
 * characters and split words; CJK text without spaces becomes one token
 * per run, cut at WT_TOKEN_MAX bytes.
 *
 * @locality a tokenizer is owned by one thread; any number may run at once.
 */
#ifndef WT_TOKENIZER_H
#define WT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest token kept, in bytes. Longer words are cut at the last code
 *  point boundary that fits; the rest of the word is skipped. */
#define WT_TOKEN_MAX 64

/** Tokenizer flags (stored in the model's feature configuration). */
#define WT_TOK_FOLD_CASE   0x1u /**< lower-case (simple Unicode mapping) */
#define WT_TOK_FOLD_DIGITS 0x2u /**< map ASCII digits 0-9 to '0' */

typedef struct wt_token {
        const char *text;      /**< folded bytes, valid until the next call */
        size_t len;            /**< bytes in text, 1..WT_TOKEN_MAX */
        size_t offset;         /**< byte offset of the token in the input */
        int sentence_start;    /**< 1 if this token begins a sentence */
} wt_token_t;

typedef struct wt_tokenizer {
        const unsigned char *p;   /**< next unread byte */
        const unsigned char *end; /**< one past the last byte */
        const unsigned char *start; /**< first byte, for token offsets */
        unsigned flags;
        size_t invalid;           /**< invalid UTF-8 bytes scanned so far
                                   *   (complete once next() returned 0) */
        int first;                /**< no token returned yet */
        char buf[WT_TOKEN_MAX + 20]; /* + room for 16-byte stores */
} wt_tokenizer_t;

/** Start tokenizing text[0..len) with WT_TOK_* flags. */
void wt_tokenizer_init(wt_tokenizer_t *tk, const char *text, size_t len,
                       unsigned flags);

/** Fetch the next token. Returns 1 and fills *tok, or 0 at the end. */
int wt_tokenizer_next(wt_tokenizer_t *tk, wt_token_t *tok);

/** Check that text[0..len) is valid UTF-8 (RFC 3629). Returns the byte
 *  offset of the first invalid sequence, or (size_t)-1 if valid. */
size_t wt_utf8_invalid_offset(const char *text, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* WT_TOKENIZER_H */
