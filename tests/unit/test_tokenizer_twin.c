/*
 * wiretag - test_tokenizer_twin.c: the block (SSE2) tokenizer and its
 * scalar twin give the same tokens.
 *
 * libwiretag's tokenizer classifies ASCII word runs 16 bytes at a time.
 * This program also compiles wt_tokenizer.c with WT_TOK_SIMD=0, its
 * functions renamed with a _scalar suffix, and checks that both produce the
 * same tokens (text, length, offset, sentence start) and the same invalid
 * byte count, over generated text built to put word boundaries, long
 * words, case, digits and multi-byte letters at every position of a
 * 16-byte block, for every flag combination.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The scalar twin, renamed. */
#define WT_TOK_SIMD 0
#define wt_tokenizer_init wt_tokenizer_init_scalar
#define wt_tokenizer_next wt_tokenizer_next_scalar
#define wt_utf8_invalid_offset wt_utf8_invalid_offset_scalar
#include "wt_tokenizer.c"
#undef wt_tokenizer_init
#undef wt_tokenizer_next
#undef wt_utf8_invalid_offset

/* libwiretag's build of the same functions. */
void wt_tokenizer_init(wt_tokenizer_t *tk, const char *text, size_t len,
                       unsigned flags);
int wt_tokenizer_next(wt_tokenizer_t *tk, wt_token_t *tok);

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (uint32_t)(rng_state % n);
}

/* Pieces that text is built from: words of every length class, case,
 * digits, separators that matter to sentence detection, multi-byte
 * letters (é, Cyrillic, Bengali), non-letters and invalid bytes. */
static size_t piece(char *out) {
        static const char *const seps[] = {" ", "  ", ". ", "\n", "!", "?\t",
                                           ",", "-", "\xe2\x80\x94", "\xc2\xa0",
                                           "\xe3\x80\x82", "\xff", "\xc3"};
        static const char *const multi[] = {"\xc3\xa9", "\xd0\x96",
                                            "\xe0\xa6\x95", "\xf0\x9d\x90\x80"};
        static const char alnum[] =
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        size_t n = 0, len, i;
        switch (rnd(4)) {
        case 0: /* a separator */
                strcpy(out, seps[rnd(sizeof(seps) / sizeof(seps[0]))]);
                return strlen(out);
        default: /* a word of 1..80 bytes, sometimes with a multi-byte letter */
                len = 1 + (rnd(5) == 0 ? rnd(80) : rnd(12));
                for (i = 0; i < len; i++) {
                        if (rnd(20) == 0) {
                                const char *m = multi[rnd(4)];
                                memcpy(out + n, m, strlen(m));
                                n += strlen(m);
                        } else {
                                out[n++] = alnum[rnd(sizeof(alnum) - 1)];
                        }
                }
                return n;
        }
}

static void compare(const char *text, size_t len, unsigned flags) {
        wt_tokenizer_t a, b;
        wt_token_t ta, tb;
        size_t ntok = 0;
        int ra, rb;
        char *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
        assert_non_null(copy);
        memcpy(copy, text, len);
        wt_tokenizer_init(&a, copy, len, flags);
        wt_tokenizer_init_scalar(&b, copy, len, flags);
        do {
                ra = wt_tokenizer_next(&a, &ta);
                rb = wt_tokenizer_next_scalar(&b, &tb);
                assert_int_equal(ra, rb);
                if (!ra)
                        break;
                if (ta.len != tb.len || memcmp(ta.text, tb.text, ta.len) ||
                    ta.offset != tb.offset ||
                    ta.sentence_start != tb.sentence_start)
                        fail_msg("token %zu differs (flags %u): block \"%.*s\" "
                                 "at %zu start %d, scalar \"%.*s\" at %zu "
                                 "start %d",
                                 ntok, flags, (int)ta.len, ta.text, ta.offset,
                                 ta.sentence_start, (int)tb.len, tb.text,
                                 tb.offset, tb.sentence_start);
                assert_int_equal(ta.text[ta.len], '\0');
                ntok++;
        } while (1);
        assert_int_equal(a.invalid, b.invalid);
        free(copy);
}

static void test_generated_text(void **state) {
        char *text = malloc(1 << 16);
        unsigned round, flags;
        (void)state;
        assert_non_null(text);
        for (round = 0; round < 3000; round++) {
                size_t len = 0, target = 1 + rnd(round < 2000 ? 200 : 4000);
                while (len < target)
                        len += piece(text + len);
                for (flags = 0; flags < 4; flags++) {
                        compare(text, len, flags);
                        /* Every start offset within a block. */
                        if (round < 200 && len > 16)
                                compare(text + rnd(16), len - 16, flags);
                }
        }
        free(text);
}

static void test_word_lengths_around_blocks(void **state) {
        /* A word of n bytes at offset o, for n and o around 16, 32, 64. */
        char text[256];
        size_t n, o, i;
        unsigned flags;
        (void)state;
        for (n = 1; n <= 100; n++)
                for (o = 0; o < 20; o++) {
                        memset(text, ' ', sizeof(text));
                        for (i = 0; i < n; i++)
                                text[o + i] = (char)("aZ9q"[(i + o) % 4]);
                        for (flags = 0; flags < 4; flags++) {
                                compare(text, o + n, flags);
                                compare(text, o + n + 1, flags);
                                compare(text, o + n + 17, flags);
                        }
                }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_generated_text),
                cmocka_unit_test(test_word_lengths_around_blocks),
        };
#if !WT_TOK_SIMD_BUILT
        /* Without the block path both sides are the scalar code: a pass
         * would prove nothing, so say so and let ctest report a skip. */
        (void)tests;
        fprintf(stderr, "test_tokenizer_twin: SKIPPED: this build has no "
                        "block (SSE2) tokenizer, so there is no twin to "
                        "compare the scalar path with\n");
        return 77;
#else
        return cmocka_run_group_tests(tests, NULL, NULL);
#endif
}
