/*
 * wiretag - tests/install/embed.c: a program built against an installed
 * libwiretag through pkg-config only (install_test.sh compiles it with
 * `cc $(pkg-config --cflags --libs wiretag)`).
 *
 * Usage: embed MODEL.wtm EXPECTED_LABEL
 * Loads the model, classifies a sample article (JSON, as Kafka would
 * deliver it) and exits 0 when EXPECTED_LABEL is the top tag.
 */
#include <stdio.h>
#include <string.h>

#include <wiretag/wt_article.h>
#include <wiretag/wt_model.h>

static const char sample[] =
        "{\"title\": \"Foreign ministers agree to resume border talks\", "
        "\"text\": \"The foreign ministers of the two neighbours agreed on "
        "Monday to resume talks on their disputed border and to open a "
        "hotline between their capitals.\"}";

int main(int argc, char **argv) {
        wt_model_t *model = NULL;
        wt_scratch_t *scratch = NULL;
        wt_article_t art = {0};
        wt_prediction_t pred;
        char errstr[512];
        size_t i;
        int rc = 1;

        if (argc != 3) {
                fprintf(stderr, "usage: embed MODEL.wtm EXPECTED_LABEL\n");
                return 2;
        }
        if (wt_model_load(argv[1], &model, errstr, sizeof(errstr))) {
                fprintf(stderr, "embed: %s\n", errstr);
                return 1;
        }
        if (wt_article_parse(sample, strlen(sample),
                             wt_model_feature_conf(model), 0, &art, errstr,
                             sizeof(errstr))) {
                fprintf(stderr, "embed: %s\n", errstr);
                goto done;
        }
        if (!(scratch = wt_scratch_new()) ||
            wt_classify(model, scratch, &art.segs, &pred)) {
                fprintf(stderr, "embed: classify failed\n");
                goto done;
        }
        printf("model %s (%s):", wt_model_name(model), wt_model_id(model));
        for (i = 0; i < pred.ntags; i++)
                printf(" %s=%.4f", wt_model_label(model, pred.tags[i].label),
                       pred.tags[i].score);
        printf("\n");
        if (pred.ntags &&
            !strcmp(wt_model_label(model, pred.tags[0].label), argv[2]))
                rc = 0;
        else
                fprintf(stderr, "embed: expected top tag %s\n", argv[2]);
done:
        wt_scratch_destroy(scratch);
        wt_article_clear(&art);
        wt_model_destroy(model);
        return rc;
}
