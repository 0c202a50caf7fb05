/*
 * wiretag fuzzing - fuzz.h: what the harnesses share.
 *
 * Each fuzz_*.c defines LLVMFuzzerTestOneInput(). Built with clang's
 * -fsanitize=fuzzer it is a libFuzzer target (tests/fuzz/run.sh); linked
 * with replay.c it is a plain program that runs the committed seed corpus
 * and any crash reproducer given to it (the ctest entries fuzz_*_replay).
 */
#ifndef WT_FUZZ_H
#define WT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WT_FIXTURES_DEFAULT
#define WT_FIXTURES_DEFAULT "tests/fixtures"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** A fixture's path: $WT_FIXTURES/name, else the folder compiled in. */
static inline const char *wt_fuzz_fixture(const char *name) {
        static char path[4096];
        const char *d = getenv("WT_FIXTURES");
        if (!d || !*d)
                d = WT_FIXTURES_DEFAULT;
        snprintf(path, sizeof(path), "%s/%s", d, name);
        return path;
}

#endif /* WT_FUZZ_H */
