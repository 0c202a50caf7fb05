/*
 * wiretag fuzzing - fuzz_config.c: the .properties parser of wiretag run.
 *
 * The input is a configuration file: read (continuations, escapes,
 * comments, BOM), every key checked, then finalised as `wiretag run`
 * does before it starts. Any outcome but a fault is fine.
 */
#include <stdio.h>

#include "fuzz.h"
#include "wt_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        wt_config_t cfg;
        char errstr[512];
        FILE *fp;

        if (!size)
                return 0;
        if (!(fp = fmemopen((void *)data, size, "r")))
                return 0;
        wt_config_init(&cfg);
        if (!wt_config_load_fp(&cfg, fp, "fuzz.properties", errstr,
                               sizeof(errstr)))
                (void)wt_config_finalize(&cfg, errstr, sizeof(errstr));
        wt_config_clear(&cfg);
        fclose(fp);
        return 0;
}
