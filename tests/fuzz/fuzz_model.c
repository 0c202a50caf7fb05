/*
 * wiretag fuzzing - fuzz_model.c: the .wtm model loader on hostile bytes.
 *
 * Whatever the bytes, wt_model_load_buffer() either refuses them with a
 * message or returns a model that classifies an article, serialises, and
 * is freed without a fault. The checksum would reject almost every
 * mutation before the parser sees it, so each input is also loaded with
 * its trailing XXH3-64 recomputed: the fuzzer then reaches the section
 * table, the JSON sections, the vocabulary and the weights.
 */
#include <xxhash.h>

#include "fuzz.h"
#include "wt_model.h"

static void load_one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        load_one(data, size);
        if (size >= 16) {
                uint8_t *fixed = malloc(size);
                uint64_t sum;
                int i;
                if (!fixed)
                        return 0;
                memcpy(fixed, data, size);
                sum = XXH3_64bits(fixed, size - 8);
                for (i = 0; i < 8; i++) /* little-endian, as written */
                        fixed[size - 8 + i] = (uint8_t)(sum >> (8 * i));
                load_one(fixed, size);
                free(fixed);
        }
        return 0;
}

static void load_one(const uint8_t *data, size_t size) {
        static const char title[] = "Troops and diplomats";
        static const char body[] = "Talks resumed. Shelling went on.";
        wt_model_t *model = NULL;
        char errstr[512];

        if (wt_model_load_buffer(data, size, &model, errstr, sizeof(errstr)))
                return;
        {
                wt_scratch_t *s = wt_scratch_new();
                wt_segments_t segs = {2, {title, body},
                                      {sizeof(title) - 1, sizeof(body) - 1}};
                wt_prediction_t pred;
                unsigned char *buf = NULL;
                size_t len;
                if (s)
                        (void)wt_classify(model, s, &segs, &pred);
                wt_scratch_destroy(s);
                if (!wt_model_serialize(model, &buf, &len))
                        free(buf);
        }
        wt_model_destroy(model);
}
