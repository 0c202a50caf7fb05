/*
 * wiretag - wt_config_doc.c: `wiretag run --print-config` and the
 * start-up summary line, both printed from the key table, so the
 * documented keys and defaults are the ones the code uses.
 */
#define _POSIX_C_SOURCE 200809L
#include "wt_config_int.h"

#include <stdarg.h>
#include <string.h>

/** Print text as "# " comment lines, one per '\n'-separated line. */
static void wt_doc_comment(FILE *fp, const char *text) {
        while (*text) {
                size_t len = strcspn(text, "\n");
                fprintf(fp, "# %.*s\n", (int)len, text);
                text += len;
                if (*text == '\n')
                        text++;
        }
}

/** Print one table key: description, type and default, then the key
 *  line, commented out unless the key is required. */
static void wt_doc_key(FILE *fp, const wt_key_t *k) {
        wt_doc_comment(fp, k->desc);
        switch (k->type) {
        case WT_KT_STR:
                fprintf(fp, "# Type: string.");
                break;
        case WT_KT_FIELDS:
                fprintf(fp, "# Type: comma-separated JSON field names.");
                break;
        case WT_KT_TOPIC:
        case WT_KT_ROUTE:
                fprintf(fp, "# Type: Kafka topic name.");
                break;
        case WT_KT_TOPICS:
                fprintf(fp, "# Type: comma-separated Kafka topic names.");
                break;
        case WT_KT_UINT:
                fprintf(fp, "# Type: integer, %llu .. %llu.",
                        (unsigned long long)k->min,
                        (unsigned long long)k->max);
                break;
        case WT_KT_BOOL:
                fprintf(fp, "# Type: true or false.");
                break;
        case WT_KT_ENUM: {
                int i;
                fprintf(fp, "# Type: one of");
                for (i = 0; k->names[i]; i++)
                        fprintf(fp, "%s %s", i ? "," : "", k->names[i]);
                fprintf(fp, ".");
                break;
        }
        }
        if (k->required)
                fprintf(fp, " Required.\n");
        else if (k->def)
                fprintf(fp, " Default: %s.\n", k->def);
        else
                fprintf(fp, " Default: unset.\n");

        if (k->type == WT_KT_ROUTE)
                fprintf(fp, "#%s%s\n", k->name, k->example);
        else
                fprintf(fp, "%s%s=%s\n", k->required ? "" : "#", k->name,
                        k->def ? k->def : k->example);
        fprintf(fp, "\n");
}

/* Comment lines are cut before this many characters. */
#define WT_DOC_WIDTH 73

/** Print text as comment lines: words (split at blanks) filled up to
 *  WT_DOC_WIDTH, the first line starting with first, the others with
 *  cont; a '\n' in text starts a new line. */
void wt_doc_fill(FILE *fp, const char *first, const char *cont,
                        const char *text) {
        size_t col = (size_t)fprintf(fp, "%s", first);
        int start = 1;
        while (*text) {
                size_t len = strcspn(text, " \n");
                if (len) {
                        if (!start && col + 1 + len >= WT_DOC_WIDTH) {
                                col = (size_t)fprintf(fp, "\n%s", cont) - 1;
                                start = 1;
                        }
                        col += (size_t)fprintf(fp, "%s%.*s", start ? "" : " ",
                                               (int)len, text);
                        start = 0;
                }
                text += len;
                if (*text == '\n') {
                        col = (size_t)fprintf(fp, "\n%s", cont) - 1;
                        start = 1;
                }
                if (*text)
                        text++;
        }
        fprintf(fp, "\n");
}

void wt_config_print_doc(FILE *fp) {
        size_t i;

        fprintf(fp,
                "# wiretag run configuration\n"
                "#\n"
                "# A line is key=value (or key: value); blank lines and lines "
                "starting\n"
                "# with '#' or '!' are skipped, whitespace around keys and "
                "values is\n"
                "# trimmed, and a line ending in a backslash continues on "
                "the next.\n"
                "# -X key=value on the command line sets or replaces any "
                "key.\n"
                "#\n"
                "# Printed from wiretag's key table, so every key and "
                "default here is\n"
                "# the one the code uses. Commented-out keys are optional "
                "and show\n"
                "# their default (or, without one, an example).\n"
                "\n"
                "## wiretag\n"
                "\n");
        for (i = 0; i < WT_KEYS_CNT; i++)
                wt_doc_key(fp, &wt_keys[i]);

        fprintf(fp,
                "## Kafka clients\n"
                "#\n"
                "# Every other key is a librdkafka property (librdkafka's\n"
                "# CONFIGURATION.md), passed through as kcat does:\n"
                "#   consumer.<property>  to the consumer only\n"
                "#   producer.<property>  to the producer only\n"
                "#   <property>           to both (a consumer-only or\n"
                "#                        producer-only one to that client\n"
                "#                        alone)\n"
                "# A property librdkafka does not know, or a bad value, "
                "stops start-up.\n"
                "#\n");
        wt_config_doc_rk(fp);
        fprintf(fp,
                "\n"
                "# Brokers. Required: bare, or both consumer. and "
                "producer.\n"
                "#bootstrap.servers=localhost:9092\n"
                "\n"
                "# Consumer group sharing the input partitions. Required: "
                "bare or\n"
                "# consumer.\n"
                "#group.id=wiretag\n"
                "\n"
                "# Examples.\n"
                "#security.protocol=plaintext\n"
                "#producer.compression.type=lz4\n"
                "#consumer.fetch.min.bytes=1\n");
}

/** Append printf output at *pos in buf[size), never past its end. */
static void wt_sum_add(char *buf, size_t size, size_t *pos,
                       const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 4, 5)))
#endif
        ;

static void wt_sum_add(char *buf, size_t size, size_t *pos,
                       const char *fmt, ...) {
        va_list ap;
        int n;
        if (*pos >= size)
                return;
        va_start(ap, fmt);
        n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
        va_end(ap);
        if (n > 0)
                *pos += (size_t)n;
}

/** 1 when a property's value must not reach the log. */
static int wt_secret_key(const char *key) {
        return strstr(key, "password") || strstr(key, "secret") ||
               strstr(key, "jaas") || strstr(key, "sasl.oauthbearer");
}

/** Append " name=value" for table key k to the summary: every key, in
 *  table order; an unset optional one is left out, an unset required one
 *  shows "(unset)". */
static void wt_sum_key(char *buf, size_t size, size_t *pos,
                       const wt_config_t *cfg, const wt_key_t *k) {
        const char *base = (const char *)cfg;
        size_t i;

        if (k->type != WT_KT_ROUTE && wt_config_provided(cfg, k->name)) {
                wt_sum_add(buf, size, pos, " %s=%s", k->name,
                           wt_config_provided(cfg, k->name));
                return;
        }
        switch (k->type) {
        case WT_KT_STR:
        case WT_KT_FIELDS:
        case WT_KT_TOPIC: {
                const char *v = *(char *const *)(base + k->off);
                if (v || k->required)
                        wt_sum_add(buf, size, pos, " %s=%s", k->name,
                                   v ? v : "(unset)");
                break;
        }
        case WT_KT_TOPICS: {
                char *const *v = *(char **const *)(base + k->off);
                size_t n = *(const size_t *)(base + k->cnt_off);
                if (!n && !k->required)
                        break;
                wt_sum_add(buf, size, pos, " %s=%s", k->name,
                           n ? "" : "(unset)");
                for (i = 0; i < n; i++)
                        wt_sum_add(buf, size, pos, "%s%s", i ? "," : "",
                                   v[i]);
                break;
        }
        case WT_KT_ROUTE: {
                const wt_route_t *r = *(wt_route_t *const *)(base + k->off);
                size_t n = *(const size_t *)(base + k->cnt_off);
                for (i = 0; i < n; i++)
                        wt_sum_add(buf, size, pos, " %s%s=%s", k->name,
                                   r[i].label, r[i].topic);
                break;
        }
        case WT_KT_UINT:
                wt_sum_add(buf, size, pos, " %s=%llu", k->name,
                           k->size == sizeof(size_t)
                                   ? (unsigned long long)*(const size_t *)(
                                             base + k->off)
                                   : (unsigned long long)*(const unsigned *)(
                                             base + k->off));
                break;
        case WT_KT_ENUM: {
                int v = *(const int *)(base + k->off), n = 0;
                while (k->names[n])
                        n++;
                wt_sum_add(buf, size, pos, " %s=%s", k->name,
                           v >= 0 && v < n ? k->names[v] : "?");
                break;
        }
        case WT_KT_BOOL:
                wt_sum_add(buf, size, pos, " %s=%s", k->name,
                           *(const int *)(base + k->off) ? "true" : "false");
                break;
        }
}

void wt_config_summary(const wt_config_t *cfg, char *buf, size_t size) {
        static const char *const scopes[] = {"", "consumer.", "producer."};
        size_t pos = 0, i;

        if (!buf || size == 0)
                return;
        buf[0] = '\0';
        for (i = 0; i < WT_KEYS_CNT; i++)
                wt_sum_key(buf, size, &pos, cfg, &wt_keys[i]);
        for (i = 0; i < cfg->nkafka; i++) {
                const wt_kafka_prop_t *p = &cfg->kafka[i];
                const char *sc = scopes[p->scope >= 0 && p->scope <= 2
                                                ? p->scope
                                                : 0];
                const char *provided;
                char full[512];
                snprintf(full, sizeof(full), "%s%s", sc, p->key);
                provided = wt_config_provided(cfg, full);
                /* A secret stays masked; a value from ${env:} or ${file:}
                 * shows as the reference written in the file. */
                wt_sum_add(buf, size, &pos, " %s%s=%s", sc, p->key,
                           wt_secret_key(p->key) ? "***"
                           : provided            ? provided
                                                 : p->value);
        }
        /* No leading blank; mark a cut line, so a truncated summary is
         * not taken as whole. */
        if (pos > 0 && pos < size)
                memmove(buf, buf + 1, pos);
        else if (pos >= size && size > 4) {
                memmove(buf, buf + 1, size - 1);
                memcpy(buf + size - 4, "...", 4);
        }
}
