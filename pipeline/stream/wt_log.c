/*
 * wiretag - wt_log.c: see wt_log.h.
 */
#include "wt_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static atomic_int wt_log_level = WT_LOG_INFO;
static atomic_int wt_log_format = WT_LOG_FORMAT_TEXT;
static FILE *wt_log_fp; /* NULL: stderr */

void wt_log_set_level(wt_log_level_t level) {
        atomic_store(&wt_log_level, (int)level);
}

wt_log_level_t wt_log_get_level(void) {
        return (wt_log_level_t)atomic_load(&wt_log_level);
}

void wt_log_set_format(wt_log_format_t format) {
        atomic_store(&wt_log_format, (int)format);
}

void wt_log_set_stream(FILE *fp) {
        wt_log_fp = fp;
}

/* A line under construction: appends stop at the end of buf. */
typedef struct wt_line {
        char *buf;
        size_t size, len;
} wt_line_t;

static void wt_line_putc(wt_line_t *l, char c) {
        if (l->len + 1 < l->size)
                l->buf[l->len++] = c;
}

static void wt_line_puts(wt_line_t *l, const char *s) {
        while (*s)
                wt_line_putc(l, *s++);
}

/* s as a JSON string, quotes included. Bytes >= 0x80 pass as they are
 * (the message is UTF-8 text, or a librdkafka line). */
static void wt_line_json_str(wt_line_t *l, const char *s) {
        static const char hex[] = "0123456789abcdef";
        wt_line_putc(l, '"');
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                switch (c) {
                case '"':
                        wt_line_puts(l, "\\\"");
                        break;
                case '\\':
                        wt_line_puts(l, "\\\\");
                        break;
                case '\n':
                        wt_line_puts(l, "\\n");
                        break;
                case '\r':
                        wt_line_puts(l, "\\r");
                        break;
                case '\t':
                        wt_line_puts(l, "\\t");
                        break;
                default:
                        if (c < 0x20 || c == 0x7f) {
                                wt_line_puts(l, "\\u00");
                                wt_line_putc(l, hex[c >> 4]);
                                wt_line_putc(l, hex[c & 15]);
                        } else {
                                wt_line_putc(l, (char)c);
                        }
                }
        }
        wt_line_putc(l, '"');
}

__attribute__((format(printf, 3, 0))) static void
wt_log_v(wt_log_level_t level, const char *const *fields, const char *fmt,
         va_list ap) {
        static const char *names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
        static const char *lower[] = {"error", "warn", "info", "debug"};
        char msg[2048], stamp[40], out[6 * 2048 + 4096 + 16];
        wt_line_t line = {out, sizeof(out), 0};
        FILE *fp = wt_log_fp ? wt_log_fp : stderr;
        struct timespec ts;
        struct tm tm;
        size_t n;

        if ((int)level > atomic_load(&wt_log_level) || (int)level < 0)
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(stamp + n, sizeof(stamp) - n, ".%03ldZ",
                 ts.tv_nsec / 1000000L);
        if (vsnprintf(msg, sizeof(msg), fmt, ap) >= (int)sizeof(msg)) {
                /* Cut: not inside a UTF-8 sequence, so a JSON line stays
                 * valid UTF-8. */
                size_t len = sizeof(msg) - 1;
                while (len > 0 && ((unsigned char)msg[len - 1] & 0xC0) == 0x80)
                        len--;
                if (len > 0 && (unsigned char)msg[len - 1] >= 0xC0)
                        len--;
                msg[len] = '\0';
        }

        if (atomic_load(&wt_log_format) == WT_LOG_FORMAT_JSON) {
                /* out holds the longest message escaped (six bytes per
                 * byte at worst); a field that does not fit is dropped,
                 * and "}\n" always has room: one whole object. */
                line.size -= 2 + 6 * sizeof(msg) + 16;
                wt_line_puts(&line, "{\"time\":\"");
                wt_line_puts(&line, stamp);
                wt_line_puts(&line, "\",\"level\":\"");
                wt_line_puts(&line, lower[level]);
                wt_line_puts(&line, "\"");
                for (; fields && fields[0] && fields[1]; fields += 2) {
                        size_t mark = line.len;
                        wt_line_putc(&line, ',');
                        wt_line_json_str(&line, fields[0]);
                        wt_line_putc(&line, ':');
                        wt_line_json_str(&line, fields[1]);
                        if (line.len + 1 >= line.size)
                                line.len = mark; /* a field cut: drop it */
                }
                line.size += 6 * sizeof(msg) + 16;
                wt_line_puts(&line, ",\"message\":");
                wt_line_json_str(&line, msg);
                line.size += 2;
                wt_line_puts(&line, "}\n");
        } else {
                wt_line_puts(&line, stamp);
                wt_line_putc(&line, ' ');
                wt_line_puts(&line, names[level]);
                wt_line_putc(&line, ' ');
                wt_line_puts(&line, msg);
                wt_line_putc(&line, '\n');
                if (line.buf[line.len - 1] != '\n')
                        line.buf[line.len - 1] = '\n';
        }
        /* One call per line: lines from threads never interleave. */
        fwrite(line.buf, 1, line.len, fp);
        fflush(fp);
}

void wt_log(wt_log_level_t level, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        wt_log_v(level, NULL, fmt, ap);
        va_end(ap);
}

void wt_log_kv(wt_log_level_t level, const char *const *fields,
               const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        wt_log_v(level, fields, fmt, ap);
        va_end(ap);
}
