/*
 * wiretag - wt_test.h: helpers shared by the unit tests (header only, so
 * every test program stays one .c file).
 *
 * Include after <cmocka.h>.
 */
#ifndef WT_TEST_H
#define WT_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef WT_FIXTURES_DEFAULT
#define WT_FIXTURES_DEFAULT "tests/fixtures"
#endif

/** Exact-size heap copy: the byte after the last one is unallocated, so
 *  ASan catches any read past buf[len). */
static inline char *wt_test_dup_exact(const void *src, size_t len) {
        char *d = malloc(len ? len : 1);
        assert_non_null(d);
        if (len)
                memcpy(d, src, len);
        return d;
}

/** The fixtures folder: $WT_FIXTURES, else the path compiled in. */
static inline const char *wt_test_fixtures(void) {
        const char *d = getenv("WT_FIXTURES");
        return d && *d ? d : WT_FIXTURES_DEFAULT;
}

/** Path of a fixture file, in a static buffer (one at a time per slot). */
static inline const char *wt_test_fixture_n(int slot, const char *name) {
        static char buf[4][4096];
        snprintf(buf[slot & 3], sizeof(buf[0]), "%s/%s", wt_test_fixtures(),
                 name);
        return buf[slot & 3];
}
#define wt_test_fixture(name) wt_test_fixture_n(0, name)

/** Assert that string s contains sub (with both in the failure message;
 *  cmocka's fail_msg, so include <cmocka.h> first). */
#define assert_contains(s, sub)                                               \
        do {                                                                  \
                if (!strstr((s), (sub)))                                      \
                        fail_msg("\"%s\" does not contain \"%s\"", (s),      \
                                 (sub));                                      \
        } while (0)

/** The shared data folder ($WT_SHARED_DATA), or NULL when it is absent:
 *  the caller then skips with a message. */
static inline const char *wt_test_shared_data(void) {
        const char *d = getenv("WT_SHARED_DATA");
        struct stat st;
        if (!d || !*d || stat(d, &st) != 0 || !S_ISDIR(st.st_mode))
                return NULL;
        return d;
}

/** A fresh temporary folder (mkdtemp under $TMPDIR or /tmp). */
static inline void wt_test_tmpdir(char *out, size_t size) {
        const char *t = getenv("TMPDIR");
        snprintf(out, size, "%s/wiretag-test-XXXXXX", t && *t ? t : "/tmp");
        assert_non_null(mkdtemp(out));
}

/** Write len bytes to path (replacing it). */
static inline void wt_test_write_file(const char *path, const void *data,
                                      size_t len) {
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(data, 1, len, fp), len);
        assert_int_equal(fclose(fp), 0);
}

static inline void wt_test_write_str(const char *path, const char *s) {
        wt_test_write_file(path, s, strlen(s));
}

/** Remove a flat folder made by wt_test_tmpdir and the files in it. */
static inline void wt_test_rmdir(const char *dir, const char *const *names,
                                 size_t n) {
        char p[4096];
        size_t i;
        for (i = 0; i < n; i++) {
                snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
                (void)remove(p);
        }
        (void)rmdir(dir);
}

/** Deterministic PRNG (xorshift64*), so "random" tests replay exactly. */
static inline uint64_t wt_test_rand(uint64_t *state) {
        uint64_t x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        return x * 0x2545F4914F6CDD1DULL;
}

#endif /* WT_TEST_H */
