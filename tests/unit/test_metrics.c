/*
 * wiretag - test_metrics.c: unit tests for wt_metrics, against scores
 * worked out by hand (in the comments).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt_metrics.h"

#define EPS 1e-9

static void test_f1(void **state) {
        (void)state;
        assert_float_equal(wt_f1(0, 0, 0), 0.0, EPS);
        assert_float_equal(wt_f1(0, 5, 5), 0.0, EPS);
        assert_float_equal(wt_f1(1, 0, 0), 1.0, EPS);
        assert_float_equal(wt_f1(3, 1, 2), 6.0 / 9.0, EPS);
        assert_float_equal(wt_f1(10, 0, 10), 20.0 / 30.0, EPS);
        /* Large counts do not overflow. */
        assert_float_equal(wt_f1(4000000000ull, 4000000000ull, 0),
                           2.0 / 3.0, EPS);
}

static void test_empty(void **state) {
        wt_metrics_t *m = wt_metrics_new(3);
        wt_label_score_t s;
        (void)state;
        assert_non_null(m);
        assert_int_equal(wt_metrics_docs(m), 0);
        assert_float_equal(wt_metrics_micro_f1(m), 0.0, EPS);
        assert_float_equal(wt_metrics_macro_f1(m), 0.0, EPS);
        assert_float_equal(wt_metrics_example_f1(m), 0.0, EPS);
        assert_float_equal(wt_metrics_accuracy(m), 0.0, EPS);
        wt_metrics_label(m, 2, &s);
        assert_int_equal(s.tp + s.fp + s.fn + s.support, 0);
        assert_float_equal(s.precision, 0.0, EPS);
        assert_float_equal(s.recall, 0.0, EPS);
        assert_float_equal(s.f1, 0.0, EPS);
        wt_metrics_destroy(m);
        wt_metrics_destroy(NULL);
}

/*
 * Three labels, four documents:
 *   d1 gold {0}    pred {0}
 *   d2 gold {0,1}  pred {0}
 *   d3 gold {}     pred {2}
 *   d4 gold {1}    pred {1,2}
 * label 0: tp 2 fp 0 fn 0 -> P 1, R 1, F1 1, support 2
 * label 1: tp 1 fp 0 fn 1 -> P 1, R .5, F1 2/3, support 2
 * label 2: tp 0 fp 2 fn 0 -> P 0, R 0, F1 0, support 0
 * micro: tp 3 fp 2 fn 1 -> 6/9
 * macro: (1 + 2/3 + 0) / 3 = 5/9   (label 2 counts: it was predicted)
 * example: d1 1, d2 2/3, d3 0, d4 2/3 -> 7/12
 * accuracy: only d1 exact -> 1/4
 */
static void test_multilabel_case(void **state) {
        static const uint8_t gold[4][3] = {
                {1, 0, 0}, {1, 1, 0}, {0, 0, 0}, {0, 1, 0}};
        static const uint8_t pred[4][3] = {
                {1, 0, 0}, {1, 0, 0}, {0, 0, 1}, {0, 1, 1}};
        wt_metrics_t *m = wt_metrics_new(3);
        wt_label_score_t s;
        size_t d;
        (void)state;
        for (d = 0; d < 4; d++)
                wt_metrics_add(m, gold[d], pred[d], NULL);
        assert_int_equal(wt_metrics_docs(m), 4);

        wt_metrics_label(m, 0, &s);
        assert_int_equal(s.tp, 2);
        assert_int_equal(s.fp, 0);
        assert_int_equal(s.fn, 0);
        assert_int_equal(s.support, 2);
        assert_float_equal(s.precision, 1.0, EPS);
        assert_float_equal(s.recall, 1.0, EPS);
        assert_float_equal(s.f1, 1.0, EPS);

        wt_metrics_label(m, 1, &s);
        assert_int_equal(s.tp, 1);
        assert_int_equal(s.fp, 0);
        assert_int_equal(s.fn, 1);
        assert_int_equal(s.support, 2);
        assert_float_equal(s.precision, 1.0, EPS);
        assert_float_equal(s.recall, 0.5, EPS);
        assert_float_equal(s.f1, 2.0 / 3.0, EPS);

        wt_metrics_label(m, 2, &s);
        assert_int_equal(s.tp, 0);
        assert_int_equal(s.fp, 2);
        assert_int_equal(s.fn, 0);
        assert_int_equal(s.support, 0);
        assert_float_equal(s.precision, 0.0, EPS);
        assert_float_equal(s.recall, 0.0, EPS);
        assert_float_equal(s.f1, 0.0, EPS);

        assert_float_equal(wt_metrics_micro_f1(m), 6.0 / 9.0, EPS);
        assert_float_equal(wt_metrics_macro_f1(m), 5.0 / 9.0, EPS);
        assert_float_equal(wt_metrics_example_f1(m), 7.0 / 12.0, EPS);
        assert_float_equal(wt_metrics_accuracy(m), 0.25, EPS);
        wt_metrics_destroy(m);
}

/*
 * Single-label, 3 classes, 5 documents (gold -> pred):
 *   0->0, 0->1, 1->1, 2->2, 2->0
 * label 0: tp 1 fp 1 fn 1 -> F1 1/2
 * label 1: tp 1 fp 1 fn 0 -> F1 2/3
 * label 2: tp 1 fp 0 fn 1 -> F1 2/3
 * micro: tp 3 fp 2 fn 2 -> 6/10 (= accuracy for single-label data)
 * macro: (1/2 + 2/3 + 2/3) / 3 = 11/18
 * example: 1, 0, 1, 1, 0 -> 3/5; accuracy 3/5
 */
static void test_single_label_case(void **state) {
        static const int g[5] = {0, 0, 1, 2, 2}, p[5] = {0, 1, 1, 2, 0};
        wt_metrics_t *m = wt_metrics_new(3);
        size_t d;
        (void)state;
        for (d = 0; d < 5; d++) {
                uint8_t gold[3] = {0, 0, 0}, pred[3] = {0, 0, 0};
                gold[g[d]] = 1;
                pred[p[d]] = 1;
                wt_metrics_add(m, gold, pred, NULL);
        }
        assert_float_equal(wt_metrics_micro_f1(m), 0.6, EPS);
        assert_float_equal(wt_metrics_macro_f1(m), 11.0 / 18.0, EPS);
        assert_float_equal(wt_metrics_example_f1(m), 0.6, EPS);
        assert_float_equal(wt_metrics_accuracy(m), 0.6, EPS);
        wt_metrics_destroy(m);
}

/*
 * Applicable masks: two labels.
 *   A: applicable {0}    gold {0}  pred {0,1}  -> label 1 not scored:
 *      exact, example F1 1
 *   B: applicable {1}    gold {}   pred {0}    -> label 0 not scored;
 *      label 1 empty on both sides: exact, example F1 1
 *   C: applicable {0,1}  gold {1}  pred {0}    -> fp0, fn1: example 0
 * label 0: tp 1 fp 1 fn 0 -> F1 2/3;  label 1: tp 0 fp 0 fn 1 -> F1 0
 * micro: tp 1 fp 1 fn 1 -> 1/2; macro: (2/3 + 0) / 2 = 1/3
 * example: 2/3; accuracy 2/3
 */
static void test_applicable(void **state) {
        static const uint8_t app[3][2] = {{1, 0}, {0, 1}, {1, 1}};
        static const uint8_t gold[3][2] = {{1, 0}, {0, 0}, {0, 1}};
        static const uint8_t pred[3][2] = {{1, 1}, {1, 0}, {1, 0}};
        wt_metrics_t *m = wt_metrics_new(2);
        wt_label_score_t s;
        size_t d;
        (void)state;
        for (d = 0; d < 3; d++)
                wt_metrics_add(m, gold[d], pred[d], app[d]);
        wt_metrics_label(m, 0, &s);
        assert_int_equal(s.tp, 1);
        assert_int_equal(s.fp, 1);
        assert_int_equal(s.fn, 0);
        wt_metrics_label(m, 1, &s);
        assert_int_equal(s.tp, 0);
        assert_int_equal(s.fp, 0);
        assert_int_equal(s.fn, 1);
        assert_int_equal(s.support, 1);
        assert_float_equal(wt_metrics_micro_f1(m), 0.5, EPS);
        assert_float_equal(wt_metrics_macro_f1(m), 1.0 / 3.0, EPS);
        assert_float_equal(wt_metrics_example_f1(m), 2.0 / 3.0, EPS);
        assert_float_equal(wt_metrics_accuracy(m), 2.0 / 3.0, EPS);
        wt_metrics_destroy(m);

        /* Nothing applicable: the document counts, as an exact match
         * with example F1 1, and touches no label. */
        m = wt_metrics_new(2);
        {
                static const uint8_t none[2] = {0, 0}, one[2] = {1, 1};
                wt_metrics_add(m, one, none, none);
        }
        assert_int_equal(wt_metrics_docs(m), 1);
        assert_float_equal(wt_metrics_accuracy(m), 1.0, EPS);
        assert_float_equal(wt_metrics_example_f1(m), 1.0, EPS);
        wt_metrics_label(m, 0, &s);
        assert_int_equal(s.tp + s.fp + s.fn, 0);
        wt_metrics_destroy(m);
}

/* A label neither in the gold data nor predicted is left out of macro-F1;
 * one only predicted counts with F1 0. Flags other than 0/1 count as 1. */
static void test_macro_undefined_labels(void **state) {
        wt_metrics_t *m = wt_metrics_new(3);
        static const uint8_t g[3] = {7, 0, 0}, p[3] = {1, 0, 0},
                             p2[3] = {1, 0, 255};
        (void)state;
        wt_metrics_add(m, g, p, NULL);
        assert_float_equal(wt_metrics_macro_f1(m), 1.0, EPS);
        assert_float_equal(wt_metrics_micro_f1(m), 1.0, EPS);
        assert_float_equal(wt_metrics_accuracy(m), 1.0, EPS);
        wt_metrics_add(m, g, p2, NULL);
        /* label 2 now predicted once, wrongly: (1 + 0) / 2 */
        assert_float_equal(wt_metrics_macro_f1(m), 0.5, EPS);
        /* micro: tp 2 fp 1 fn 0 -> 4/5 */
        assert_float_equal(wt_metrics_micro_f1(m), 0.8, EPS);
        /* example: 1 and 2*1/(1+2) */
        assert_float_equal(wt_metrics_example_f1(m), (1.0 + 2.0 / 3.0) / 2,
                           EPS);
        assert_float_equal(wt_metrics_accuracy(m), 0.5, EPS);
        wt_metrics_destroy(m);
}

/* Both sets empty: example F1 1 and exact, no micro credit. */
static void test_both_empty(void **state) {
        wt_metrics_t *m = wt_metrics_new(2);
        static const uint8_t z[2] = {0, 0};
        (void)state;
        wt_metrics_add(m, z, z, NULL);
        wt_metrics_add(m, z, z, NULL);
        assert_float_equal(wt_metrics_example_f1(m), 1.0, EPS);
        assert_float_equal(wt_metrics_accuracy(m), 1.0, EPS);
        assert_float_equal(wt_metrics_micro_f1(m), 0.0, EPS);
        assert_float_equal(wt_metrics_macro_f1(m), 0.0, EPS);
        wt_metrics_destroy(m);
}

/* A zero-label metrics object (an empty label space) works. */
static void test_zero_labels(void **state) {
        wt_metrics_t *m = wt_metrics_new(0);
        (void)state;
        assert_non_null(m);
        wt_metrics_add(m, NULL, NULL, NULL);
        assert_int_equal(wt_metrics_docs(m), 1);
        assert_float_equal(wt_metrics_example_f1(m), 1.0, EPS);
        wt_metrics_destroy(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_f1),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_multilabel_case),
                cmocka_unit_test(test_single_label_case),
                cmocka_unit_test(test_applicable),
                cmocka_unit_test(test_macro_undefined_labels),
                cmocka_unit_test(test_both_empty),
                cmocka_unit_test(test_zero_labels),
        };
        return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
