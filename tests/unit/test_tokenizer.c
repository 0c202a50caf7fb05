/*
 * wiretag - test_tokenizer.c: unit tests for wt_tokenizer.
 *
 * Known-answer vectors are arrays of expected tokens. Every input is first
 * copied into a malloc'd buffer of exactly its length (no NUL after it),
 * so ASan or valgrind catch any read past text[len).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt_tokenizer.h"

#define NOINV ((size_t)-1)
#define FC WT_TOK_FOLD_CASE
#define FD WT_TOK_FOLD_DIGITS


/** Exact-size heap copy: the byte after the last one is unallocated. */
static unsigned char *dup_exact(const void *src, size_t len) {
        unsigned char *d = malloc(len ? len : 1);
        assert_non_null(d);
        if (len)
                memcpy(d, src, len);
        return d;
}

/** Checks every token must pass, whatever the input. */
static void check_token_invariants(const unsigned char *in, size_t len,
                                   unsigned flags, const wt_token_t *tok,
                                   size_t prev_end) {
        assert_true(tok->len >= 1 && tok->len <= WT_TOKEN_MAX);
        assert_int_equal(tok->text[tok->len], '\0');
        assert_true(tok->offset >= prev_end);
        assert_true(tok->offset < len);
        assert_true(wt_utf8_invalid_offset(tok->text, tok->len) == NOINV);
        /* Unfolded tokens are the input bytes themselves (a prefix of
         * them when the word was cut). */
        if (flags == 0) {
                assert_true(tok->offset + tok->len <= len);
                assert_memory_equal(in + tok->offset, tok->text, tok->len);
        }
}

/** A token kept after the tokenizer is gone (wt_token_t.text is only
 *  valid until the next call). */
typedef struct test_tok {
        char text[WT_TOKEN_MAX + 1];
        size_t len;
        size_t offset;
        int sentence_start;
} test_tok_t;

/** Tokenize in[0..len) and join the tokens with '|' (never a word char).
 *  The first maxtoks tokens are also copied to toks. */
static size_t tokenize_join(const char *in, size_t len, unsigned flags,
                            char *out, size_t outsize, size_t *invalid,
                            test_tok_t *toks, size_t maxtoks) {
        unsigned char *copy = dup_exact(in, len);
        wt_tokenizer_t tk;
        wt_token_t tok;
        size_t n = 0, o = 0, prev_end = 0;

        wt_tokenizer_init(&tk, (const char *)copy, len, flags);
        out[0] = '\0';
        while (wt_tokenizer_next(&tk, &tok)) {
                check_token_invariants(copy, len, flags, &tok, prev_end);
                prev_end = tok.offset + 1;
                assert_true(o + tok.len + 2 < outsize);
                if (n)
                        out[o++] = '|';
                memcpy(out + o, tok.text, tok.len);
                o += tok.len;
                out[o] = '\0';
                if (n < maxtoks) {
                        memcpy(toks[n].text, tok.text, tok.len + 1);
                        toks[n].len = tok.len;
                        toks[n].offset = tok.offset;
                        toks[n].sentence_start = tok.sentence_start;
                }
                n++;
        }
        /* Exhausted tokenizers stay exhausted. */
        assert_int_equal(wt_tokenizer_next(&tk, &tok), 0);
        if (invalid)
                *invalid = tk.invalid;
        free(copy);
        return n;
}

/** Known-answer check: exp is a NULL-terminated array of tokens.
 *  exp_invalid NOINV means "expect 0". len 0 means strlen(in). */
static void expect_tokens_n(const char *in, size_t len, unsigned flags,
                            const char *const *exp, size_t exp_invalid) {
        char got[4096], want[4096];
        size_t n, nexp = 0, w = 0, invalid;

        want[0] = '\0';
        for (; exp[nexp]; nexp++) {
                size_t l = strlen(exp[nexp]);
                assert_true(w + l + 2 < sizeof(want));
                if (nexp)
                        want[w++] = '|';
                memcpy(want + w, exp[nexp], l);
                w += l;
                want[w] = '\0';
        }

        n = tokenize_join(in, len, flags, got, sizeof(got), &invalid,
                          NULL, 0);
        assert_string_equal(got, want);
        assert_int_equal(n, nexp);
        assert_int_equal(invalid, exp_invalid == NOINV ? 0 : exp_invalid);
}

#define EXPECT(in, flags, ...) do {                                     \
                static const char *const exp_[] = { __VA_ARGS__, NULL }; \
                expect_tokens_n(in, strlen(in), flags, exp_, NOINV);    \
        } while (0)

#define EXPECT_NONE(in, flags) do {                                     \
                static const char *const exp_[] = { NULL };             \
                expect_tokens_n(in, strlen(in), flags, exp_, NOINV);    \
        } while (0)

/** For inputs with invalid bytes or embedded NULs: explicit length. */
#define EXPECT_INV(in, flags, inv, ...) do {                            \
                static const char *const exp_[] = { __VA_ARGS__, NULL }; \
                expect_tokens_n(in, sizeof(in) - 1, flags, exp_, inv);  \
        } while (0)


static void test_english(void **state) {
        (void)state;
        EXPECT("Pakistan and Iran \"agreed to de-escalate\" tensions Friday,",
               FC, "pakistan", "and", "iran", "agreed", "to", "de",
               "escalate", "tensions", "friday");
        /* Without FOLD_CASE the case is kept. */
        EXPECT("Pakistan and Iran \"agreed to de-escalate\" tensions Friday,",
               0, "Pakistan", "and", "Iran", "agreed", "to", "de",
               "escalate", "tensions", "Friday");
        /* Apostrophes and underscores separate (ASCII ' and _ are
         * punctuation, not letters). */
        EXPECT("Don't snake_case (it's) [OK]; {x}", FC,
               "don", "t", "snake", "case", "it", "s", "ok", "x");
        EXPECT("ABCXYZ abcxyz 0189 @`[{", FC, "abcxyz", "abcxyz", "0189");
}

static void test_unicode_punct(void **state) {
        (void)state;
        /* Curly quotes, em dash, en dash, ellipsis, guillemets, NBSP,
         * ideographic space: all separators. */
        EXPECT("\u201cHello\u201d \u2018world\u2019 \u2014 peace\u2013talks"
               "\u2026end \u00abfin\u00bb\u00a0x\u3000y", FC,
               "hello", "world", "peace", "talks", "end", "fin", "x", "y");
        /* No space needed around them. */
        EXPECT("a\u2014b\u2013c\u201cd\u201de\u2019f", 0,
               "a", "b", "c", "d", "e", "f");
        /* Soft hyphen and zero-width joiners are format characters (Cf),
         * so per the contract they split words too. */
        EXPECT("co\u00adop x\u200cy", 0, "co", "op", "x", "y");
}

static void test_numbers(void **state) {
        (void)state;
        EXPECT("5.93 mln", FC, "5", "93", "mln");
        EXPECT("155,221 bags", 0, "155", "221", "bags");
        EXPECT("In 2024, 5.93 mln", FC | FD, "in", "0000", "0", "00", "mln");
        /* FOLD_DIGITS alone does not fold case. */
        EXPECT("Q3 2024", FD, "Q0", "0000");
        /* Only ASCII digits fold; Arabic-Indic digits (Nd) are still word
         * characters and are kept as they are. Superscript two is No. */
        EXPECT("\u0662\u0660\u0662\u0664 x\u00b2", FC | FD,
               "\u0662\u0660\u0662\u0664", "x\u00b2");
}

static void test_url(void **state) {
        (void)state;
        EXPECT("https://example.com/a_b?x=1", FC,
               "https", "example", "com", "a", "b", "x", "1");
        EXPECT("mailto:Ed@Example.ORG", FC, "mailto", "ed", "example", "org");
}

static void test_empty(void **state) {
        wt_tokenizer_t tk;
        wt_token_t tok;
        (void)state;

        EXPECT_NONE("", FC);
        EXPECT_NONE(" ", FC);
        EXPECT_NONE(" \t\r\n\v\f  \n", FC);
        EXPECT_NONE("\u00a0\u3000\u2028\u2029 ", FC);
        EXPECT_NONE("...,;:!?-\u2014\u201c\u201d", FC);

        /* NULL with length 0 is an empty input, not a crash. */
        wt_tokenizer_init(&tk, NULL, 0, FC);
        assert_int_equal(wt_tokenizer_next(&tk, &tok), 0);
        assert_int_equal(tk.invalid, 0);
}

static void test_bengali(void **state) {
        (void)state;
        /* Vowel signs (U+09BF Mc, U+09C7 Mc, U+09BE Mc...) and the virama
         * (U+09CD Mn) must stay inside their words. */
        EXPECT("\u0986\u09aa\u09a8\u09bf \u0995\u09bf \u09ae\u09a8\u09c7 "
               "\u0995\u09b0\u09c7\u09a8, "
               "\u09aa\u09be\u0995\u09bf\u09b8\u09cd\u09a4\u09be\u09a8-"
               "\u0987\u09b0\u09be\u09a8 "
               "\u0989\u09a4\u09cd\u09a4\u09c7\u099c\u09a8\u09be "
               "\u0995\u09ae\u09ac\u09c7?", FC,
               "\u0986\u09aa\u09a8\u09bf", "\u0995\u09bf",
               "\u09ae\u09a8\u09c7", "\u0995\u09b0\u09c7\u09a8",
               "\u09aa\u09be\u0995\u09bf\u09b8\u09cd\u09a4\u09be\u09a8",
               "\u0987\u09b0\u09be\u09a8",
               "\u0989\u09a4\u09cd\u09a4\u09c7\u099c\u09a8\u09be",
               "\u0995\u09ae\u09ac\u09c7");
        /* The same line written literally, to guard against escapes
         * hiding a mistake. */
        EXPECT("আপনি কি মনে করেন, পাকিস্তান-ইরান উত্তেজনা কমবে?", FC,
               "আপনি", "কি", "মনে", "করেন", "পাকিস্তান", "ইরান",
               "উত্তেজনা", "কমবে");
        /* Devanagari with danda; Bengali digits are Nd. */
        EXPECT("भारत ने कहा। \u09e8\u09e6\u09e8\u09ea", FC,
               "भारत", "ने", "कहा", "\u09e8\u09e6\u09e8\u09ea");
}

static void test_case_folding(void **state) {
        (void)state;
        EXPECT("\u00c9COLE Stra\u00dfe \u0391\u0398\u0397\u039d\u0391", FC,
               "\u00e9cole", "stra\u00dfe", "\u03b1\u03b8\u03b7\u03bd\u03b1");
        EXPECT("ÉCOLE Straße ΑΘΗΝΑ", 0, "ÉCOLE", "Straße", "ΑΘΗΝΑ");
        /* Simple (1:1, context-free) mapping: capital sigma always becomes
         * U+03C3 σ, never the final form ς (U+03C2), which is kept as is;
         * ß is already lower case and does not expand to "ss". */
        EXPECT("\u039f\u0394\u039f\u03a3 \u03bf\u03b4\u03bf\u03c2", FC,
               "\u03bf\u03b4\u03bf\u03c3", "\u03bf\u03b4\u03bf\u03c2");
        /* Mappings that change the UTF-8 length: İ (2 bytes) -> i,
         * KELVIN SIGN (3 bytes) -> k; capital sharp s -> ß. */
        EXPECT("\u0130STANBUL 5\u212a \u1e9e", FC, "istanbul", "5k",
               "\u00df");
        /* Title case digraph Dž -> dž. */
        EXPECT("\u01c5em", FC, "\u01c6em");
}

static void test_scripts(void **state) {
        (void)state;
        EXPECT("\u041c\u043e\u0441\u043a\u0432\u0430 \u0417\u0430\u044f"
               "\u0432\u0438\u043b\u0430: \u00ab\u0434\u0430\u00bb", FC,
               "\u043c\u043e\u0441\u043a\u0432\u0430",
               "\u0437\u0430\u044f\u0432\u0438\u043b\u0430",
               "\u0434\u0430");
        /* Arabic: the Arabic comma U+060C is punctuation. */
        EXPECT("قال الرئيس، إن", FC, "قال", "الرئيس", "إن");
        /* CJK ideographs are Lo; with no spaces a run is one token.
         * The ideographic full stop and fullwidth comma separate. */
        EXPECT("中国外交部。发言人，表示", FC, "中国外交部", "发言人", "表示");
        EXPECT("東京 とうきょう トウキョウ", FC,
               "東京", "とうきょう", "トウキョウ");
        /* Emoji are symbols (So): separators. */
        EXPECT("ok\U0001F600go \U0001D400x", FC, "ok", "go",
               "\U0001D400x");
}

static void test_invalid_utf8(void **state) {
        (void)state;
        /* Stray continuation byte. */
        EXPECT_INV("ab\x80" "cd", FC, 1, "ab", "cd");
        /* Truncated sequence at the end of the buffer: E0 is invalid
         * (cut short), then A6 is a stray continuation byte. */
        EXPECT_INV("ab\xe0\xa6", FC, 2, "ab");
        EXPECT_INV("ab\xe0\xa6" "cd", FC, 2, "ab", "cd");
        EXPECT_INV("\xf0\x9f\x98", 0, 3, NULL);
        /* Overlong '/' (C0 AF): both bytes invalid. */
        EXPECT_INV("a\xc0\xaf" "b", FC, 2, "a", "b");
        EXPECT_INV("a\xe0\x80\xaf" "b", FC, 3, "a", "b");
        EXPECT_INV("a\xf0\x80\x80\xaf" "b", FC, 4, "a", "b");
        /* Surrogate U+D800. */
        EXPECT_INV("a\xed\xa0\x80" "b", FC, 3, "a", "b");
        /* Beyond U+10FFFF, and F5..FF leads. */
        EXPECT_INV("a\xf4\x90\x80\x80" "b", FC, 4, "a", "b");
        EXPECT_INV("a\xff" "b\xfe" "c\xf5" "d", FC, 3, "a", "b", "c", "d");
        /* Decoding resumes at the very next byte: C3 C3 A9 is one bad
         * byte and then a valid é. */
        EXPECT_INV("x\xc3\xc3\xa9" "y", FC, 1, "x", "\u00e9y");
        /* An invalid byte inside a non-ASCII word splits it. */
        EXPECT_INV("\u09aa\u09be\x80\u0995\u09bf", FC, 1,
                   "\u09aa\u09be", "\u0995\u09bf");
        /* A NUL byte is just a separator. */
        EXPECT_INV("a\0b", FC, 0, "a", "b");
        /* Edges that are valid: U+D7FF, U+E000, U+FFFF, U+10FFFF are not
         * word characters but are not counted as invalid either. */
        EXPECT_INV("a\xed\x9f\xbf" "b\xee\x80\x80" "c\xef\xbf\xbf"
                   "d\xf4\x8f\xbf\xbf" "e", FC, 0, "a", "b", "c", "d", "e");
}

static void test_not_nul_terminated(void **state) {
        (void)state;
        /* A length shorter than the string: the rest must not be seen. */
        expect_tokens_n("hello world", 7, FC,
                        (const char *const[]){ "hello", "w", NULL }, 0);
        /* Cut inside a 2-byte character: C3 alone is invalid. */
        expect_tokens_n("caf\u00e9", 4, FC,
                        (const char *const[]){ "caf", NULL }, 1);
        /* Cut inside a 3-byte character at the end of a word. */
        expect_tokens_n("\u0995\u0995", 5, FC,
                        (const char *const[]){ "\u0995", NULL }, 2);
        /* Buffer ends right after a word char, a separator, a
         * terminator. (All of these go through an exact-size copy.) */
        EXPECT("word", FC, "word");
        EXPECT("word.", FC, "word");
        EXPECT("\u0995", FC, "\u0995");
}

/** n copies of a UTF-8 string into out. */
static size_t repeat(char *out, size_t outsize, const char *s, size_t n) {
        size_t l = strlen(s), o = 0, i;
        for (i = 0; i < n; i++) {
                assert_true(o + l < outsize);
                memcpy(out + o, s, l);
                o += l;
        }
        out[o] = '\0';
        return o;
}

static void test_truncation(void **state) {
        char in[1024], got[2048], want[256];
        test_tok_t toks[4];
        size_t n, l, inv;
        (void)state;

        /* 40 Bengali letters = 120 bytes: cut to 21 letters (63 bytes,
         * as a 22nd would make 66); the rest of the word is skipped, the
         * next word is the next token. */
        l = repeat(in, sizeof(in), "\u0995", 40);
        assert_int_equal(l, 120);
        memcpy(in + l, " next", 6);
        n = tokenize_join(in, strlen(in), FC, got, sizeof(got), &inv,
                          toks, 4);
        assert_int_equal(n, 2);
        assert_int_equal(toks[0].len, 63);
        assert_int_equal(toks[0].offset, 0);
        assert_int_equal(toks[1].offset, 121);
        repeat(want, sizeof(want), "\u0995", 21);
        strcat(want, "|next");
        assert_string_equal(got, want);

        /* ASCII: exactly 64 is kept whole, 65 and 100 are cut to 64. */
        l = repeat(in, sizeof(in), "a", 64);
        n = tokenize_join(in, l, 0, got, sizeof(got), &inv, toks, 4);
        assert_int_equal(n, 1);
        assert_int_equal(toks[0].len, 64);
        l = repeat(in, sizeof(in), "b", 100);
        memcpy(in + l, ",c", 3);
        n = tokenize_join(in, l + 2, 0, got, sizeof(got), &inv, toks, 4);
        assert_int_equal(n, 2);
        assert_int_equal(toks[0].len, 64);
        assert_string_equal(toks[1].text, "c");
        assert_int_equal(toks[1].offset, 101);

        /* 63 ASCII then é (2 bytes) does not fit: the token stops at 63
         * and the trailing ASCII "bc" must not be glued on after it. */
        l = repeat(in, sizeof(in), "a", 63);
        memcpy(in + l, "\u00e9bc d", 7);
        n = tokenize_join(in, strlen(in), 0, got, sizeof(got), &inv,
                          toks, 4);
        assert_int_equal(n, 2);
        assert_int_equal(toks[0].len, 63);
        assert_string_equal(toks[1].text, "d");

        /* 62 ASCII then É folded to é: exactly 64. */
        l = repeat(in, sizeof(in), "a", 62);
        memcpy(in + l, "\u00c9", 3);
        n = tokenize_join(in, strlen(in), FC, got, sizeof(got), &inv,
                          toks, 4);
        assert_int_equal(n, 1);
        assert_int_equal(toks[0].len, 64);
        assert_memory_equal(toks[0].text + 62, "\u00e9", 2);

        /* Folding can shrink: 63 ASCII + İ (2 bytes in) -> 'i' fits. */
        l = repeat(in, sizeof(in), "a", 63);
        memcpy(in + l, "\u0130", 3);
        n = tokenize_join(in, strlen(in), FC, got, sizeof(got), &inv,
                          toks, 4);
        assert_int_equal(n, 1);
        assert_int_equal(toks[0].len, 64);
        assert_int_equal(toks[0].text[63], 'i');

        /* 4-byte letters: 16 fit exactly; 17 do not. */
        l = repeat(in, sizeof(in), "\U0001D400", 17);
        n = tokenize_join(in, l, 0, got, sizeof(got), &inv, toks, 4);
        assert_int_equal(n, 1);
        assert_int_equal(toks[0].len, 64);
}

static void test_offsets(void **state) {
        static const char in[] =
                "  Hello, \u201cw\u00f6rld\u201d \u0995\u09cd\u09b7 x\x80y";
        static const size_t exp_off[] = { 2, 12, 22, 32, 34 };
        test_tok_t toks[8];
        char got[256];
        size_t n, inv, i;
        (void)state;

        n = tokenize_join(in, sizeof(in) - 1, FC, got, sizeof(got), &inv,
                          toks, 8);
        assert_string_equal(got, "hello|w\u00f6rld|\u0995\u09cd\u09b7|x|y");
        assert_int_equal(n, 5);
        assert_int_equal(inv, 1);
        for (i = 0; i < n; i++)
                assert_int_equal(toks[i].offset, exp_off[i]);
}

/** Tokenize in with FOLD_CASE and check sentence_start of each token
 *  against the string exp of '0'/'1', one digit per token. */
static void expect_sentences(const char *in, const char *exp) {
        test_tok_t toks[32];
        char got[1024], flags[33];
        size_t n, i, inv;

        n = tokenize_join(in, strlen(in), FC, got, sizeof(got), &inv,
                          toks, 32);
        assert_true(n <= 32);
        for (i = 0; i < n; i++)
                flags[i] = toks[i].sentence_start ? '1' : '0';
        flags[n] = '\0';
        if (strcmp(flags, exp))
                print_message("input: \"%s\" tokens: %s\n", in, got);
        assert_string_equal(flags, exp);
}

static void test_sentences(void **state) {
        (void)state;
        expect_sentences("First one. Second one! Third? fourth", "101011");
        /* The first token starts a sentence even after a gap. */
        expect_sentences("  ... \"Quoted\" start", "10");
        /* A '.' between digits is not followed by whitespace. */
        expect_sentences("Rose 5.93 mln", "1000");
        /* Closing quotes between the terminator and the space are fine. */
        expect_sentences("the end.\"  Next", "101");
        expect_sentences("the end.\u201d Next", "101");
        expect_sentences("Really?!) Yes", "11");
        /* Whitespace before the terminator is not enough. */
        expect_sentences("a .b c", "100");
        /* No terminator, no boundary. */
        expect_sentences("a, b; c: d - e", "10000");
        /* Newlines always start a sentence (CRLF too). */
        expect_sentences("line one\nline two\r\nthree", "10101");
        /* Abbreviations are not understood: "U.S. troops" breaks before
         * "troops" (". " after "S"), but not between "U" and "S". This
         * is accepted: the boundary is a hint for scoring, and getting
         * abbreviations right needs a language model we do not have. */
        expect_sentences("U.S. troops left", "1010");
        /* Unicode whitespace after a terminator: NBSP, ideographic
         * space; U+2029 is a paragraph separator. */
        expect_sentences("a.\u00a0b.\u3000c\u2029d", "1111");
        /* An invalid byte in the gap does not hide the boundary. */
        expect_sentences("a.\x80 b", "11");
        /* URLs: '?' and '.' without a following space. */
        expect_sentences("see example.com/a?x=1 now", "1000000");
        /* Terminator at the very end of the input: nothing follows. */
        expect_sentences("Done.", "1");
        /* Non-ASCII terminators end the sentence by themselves (CJK puts
         * no space after U+3002); danda and Arabic question mark too. */
        expect_sentences("中国。发言人", "11");
        expect_sentences("আমি ভাত খাই। তুমি", "1001");
        expect_sentences("কহা।তুমি", "11");
        expect_sentences("هل انت بخير؟ نعم", "1001");
}

/** Reference validator written independently of the one under test:
 *  decode structurally, then reject by value (overlong, surrogate,
 *  > U+10FFFF). */
static size_t ref_invalid_offset(const unsigned char *s, size_t len) {
        size_t i = 0;
        while (i < len) {
                unsigned c = s[i];
                size_t n, k;
                uint32_t cp, min;
                if (c < 0x80) {
                        i++;
                        continue;
                } else if ((c & 0xe0) == 0xc0) {
                        n = 2; cp = c & 0x1f; min = 0x80;
                } else if ((c & 0xf0) == 0xe0) {
                        n = 3; cp = c & 0x0f; min = 0x800;
                } else if ((c & 0xf8) == 0xf0) {
                        n = 4; cp = c & 0x07; min = 0x10000;
                } else {
                        return i;
                }
                if (len - i < n)
                        return i;
                for (k = 1; k < n; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return i;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return i;
                i += n;
        }
        return NOINV;
}

static size_t inv_off(const char *s, size_t len) {
        unsigned char *d = dup_exact(s, len);
        size_t r = wt_utf8_invalid_offset((const char *)d, len);
        assert_true(r == ref_invalid_offset(d, len));
        free(d);
        return r;
}

#define INV_OFF(lit) inv_off(lit, sizeof(lit) - 1)

static void test_invalid_offset(void **state) {
        unsigned char b[4];
        unsigned i, j;
        (void)state;

        assert_true(INV_OFF("") == NOINV);
        assert_true(wt_utf8_invalid_offset(NULL, 0) == NOINV);
        assert_true(INV_OFF("hello") == NOINV);
        assert_true(INV_OFF("exactly8") == NOINV);
        assert_true(INV_OFF("sixteen bytes!!!") == NOINV);
        assert_true(INV_OFF("\u00e9\u0995\U0001F600 ok \u0986\u09aa\u09a8"
                            "\u09bf long ascii tail here") == NOINV);
        assert_true(INV_OFF("\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
                            "\xf4\x8f\xbf\xbf") == NOINV);
        /* Positions around the 8-byte fast path. */
        assert_int_equal(INV_OFF("\x80"), 0);
        assert_int_equal(INV_OFF("abcdefg\x80"), 7);
        assert_int_equal(INV_OFF("abcdefgh\x80"), 8);
        assert_int_equal(INV_OFF("abcdefghi\x80"), 9);
        assert_int_equal(INV_OFF("abcdefghi\x80xyzxyzxyz"), 9);
        assert_int_equal(INV_OFF("0123456789abcdef\xc0\xaf"), 16);
        assert_int_equal(INV_OFF("\u00e9\u00e9\u00e9\u00e9\u00e9\xff"), 10);
        /* Each kind of error. */
        assert_int_equal(INV_OFF("ab\xe0\xa6"), 2);           /* truncated */
        assert_int_equal(INV_OFF("ab\xc3"), 2);
        assert_int_equal(INV_OFF("ab\xf0\x9f\x98"), 2);
        assert_int_equal(INV_OFF("a\xc0\xaf"), 1);            /* overlong */
        assert_int_equal(INV_OFF("a\xc1\xbf"), 1);
        assert_int_equal(INV_OFF("a\xe0\x9f\xbf"), 1);
        assert_int_equal(INV_OFF("a\xf0\x8f\xbf\xbf"), 1);
        assert_int_equal(INV_OFF("a\xed\xa0\x80"), 1);        /* surrogate */
        assert_int_equal(INV_OFF("a\xed\xbf\xbf"), 1);
        assert_int_equal(INV_OFF("a\xf4\x90\x80\x80"), 1);    /* > 10FFFF */
        assert_int_equal(INV_OFF("a\xf5\x80\x80\x80"), 1);
        assert_int_equal(INV_OFF("a\xfe"), 1);
        assert_int_equal(INV_OFF("a\xc3(b"), 1);        /* bad 2nd byte */
        assert_int_equal(INV_OFF("a\xe1\x80(b"), 1);    /* bad 3rd byte */

        /* Exhaustively: every 1- and 2-byte string, and every 3- and
         * 4-byte string whose later bytes are picked from the edges of
         * the interesting ranges, against the reference. */
        for (i = 0; i < 256; i++) {
                b[0] = (unsigned char)i;
                assert_true(wt_utf8_invalid_offset((char *)b, 1) ==
                            ref_invalid_offset(b, 1));
                for (j = 0; j < 256; j++) {
                        static const unsigned char edge[] = {
                                0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0,
                                0xbf, 0xc0, 0xff };
                        size_t k, m;
                        b[1] = (unsigned char)j;
                        assert_true(wt_utf8_invalid_offset((char *)b, 2) ==
                                    ref_invalid_offset(b, 2));
                        for (k = 0; k < sizeof(edge); k++) {
                                b[2] = edge[k];
                                assert_true(
                                        wt_utf8_invalid_offset((char *)b, 3)
                                        == ref_invalid_offset(b, 3));
                                for (m = 0; m < sizeof(edge); m++) {
                                        b[3] = edge[m];
                                        assert_true(
                                                wt_utf8_invalid_offset(
                                                        (char *)b, 4) ==
                                                ref_invalid_offset(b, 4));
                                }
                        }
                }
        }
}

/** Invalid bytes the tokenizer should count: find the first invalid
 *  sequence, count one byte, resume at the next byte. */
static size_t count_invalid(const unsigned char *s, size_t len) {
        size_t pos = 0, cnt = 0, off;
        while (pos < len &&
               (off = wt_utf8_invalid_offset((const char *)s + pos,
                                             len - pos)) != NOINV) {
                cnt++;
                pos += off + 1;
        }
        return cnt;
}

/** Tokenize s with every flag combination and check the invariants. */
static void check_any_input(const unsigned char *s, size_t len) {
        unsigned flags;
        size_t ntok[4];
        for (flags = 0; flags < 4; flags++) {
                unsigned char *d = dup_exact(s, len);
                wt_tokenizer_t tk;
                wt_token_t tok;
                size_t prev_end = 0, n = 0;

                wt_tokenizer_init(&tk, (const char *)d, len, flags);
                while (wt_tokenizer_next(&tk, &tok)) {
                        check_token_invariants(d, len, flags, &tok,
                                               prev_end);
                        if (n == 0)
                                assert_int_equal(tok.sentence_start, 1);
                        prev_end = tok.offset + 1;
                        n++;
                }
                assert_int_equal(tk.invalid, count_invalid(d, len));
                ntok[flags] = n;
                free(d);
        }
        /* Folding never changes where words are. */
        assert_int_equal(ntok[0], ntok[1]);
        assert_int_equal(ntok[0], ntok[2]);
        assert_int_equal(ntok[0], ntok[3]);
}

static void test_byte_alphabet(void **state) {
        static const unsigned char alpha[] = {
                'a', ' ', '.', 0x80, 0xc3, 0xa9, 0xe0, 0xa6, 0xf0, 0xff };
        const size_t na = sizeof(alpha);
        unsigned char s[4];
        size_t len, idx, total, k, r;
        (void)state;

        /* Every string of length 1..4 over the alphabet. */
        for (len = 1; len <= 4; len++) {
                total = 1;
                for (k = 0; k < len; k++)
                        total *= na;
                for (idx = 0; idx < total; idx++) {
                        r = idx;
                        for (k = 0; k < len; k++) {
                                s[k] = alpha[r % na];
                                r /= na;
                        }
                        check_any_input(s, len);
                }
        }
}

/* xorshift64*: deterministic, independent of the libc rand(). */
static uint64_t rng_next(uint64_t *st) {
        *st ^= *st >> 12;
        *st ^= *st << 25;
        *st ^= *st >> 27;
        return *st * UINT64_C(2685821657736338717);
}

static void test_random_bytes(void **state) {
        static const char *const pieces[] = {
                "a", "Z", "9", " ", ".", "\n", "\u00e9", "\u00c9", "\u0995",
                "\u09cd", "\u3002", "\u00a0", "\U0001D400", "\u0130",
                "\u212a", "\u2014" };
        uint64_t st = UINT64_C(0x9e3779b97f4a7c15);
        unsigned char s[300];
        size_t iter, len, k;
        (void)state;

        for (iter = 0; iter < 3000; iter++) {
                size_t target = (size_t)(rng_next(&st) % 290);
                len = 0;
                while (len < target) {
                        uint64_t r = rng_next(&st);
                        if (r % 4 == 0) {
                                s[len++] = (unsigned char)(r >> 8);
                        } else {
                                const char *p = pieces[(r >> 8) % 16];
                                size_t l = strlen(p);
                                /* Long runs of one piece hit the cap. */
                                size_t rep = (r >> 16) % 8 == 0 ? 40 : 1;
                                for (k = 0; k < rep && len + l <= target;
                                     k++) {
                                        memcpy(s + len, p, l);
                                        len += l;
                                }
                                if (k == 0)
                                        break;
                        }
                }
                check_any_input(s, len);
        }
}


int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_english),
                cmocka_unit_test(test_unicode_punct),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_url),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_bengali),
                cmocka_unit_test(test_case_folding),
                cmocka_unit_test(test_scripts),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_not_nul_terminated),
                cmocka_unit_test(test_truncation),
                cmocka_unit_test(test_offsets),
                cmocka_unit_test(test_sentences),
                cmocka_unit_test(test_invalid_offset),
                cmocka_unit_test(test_byte_alphabet),
                cmocka_unit_test(test_random_bytes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
