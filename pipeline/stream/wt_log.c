/*
 * wiretag - wt_log.c: see wt_log.h.
 */
#include "wt_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int wt_log_level = WT_LOG_INFO;

void wt_log_set_level(wt_log_level_t level) {
        atomic_store(&wt_log_level, (int)level);
}

wt_log_level_t wt_log_get_level(void) {
        return (wt_log_level_t)atomic_load(&wt_log_level);
}

void wt_log(wt_log_level_t level, const char *fmt, ...) {
        static const char *names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
        char msg[2048], stamp[32];
        struct timespec ts;
        struct tm tm;
        va_list ap;

        if ((int)level > atomic_load(&wt_log_level))
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        /* One call per line: lines from threads never interleave. */
        fprintf(stderr, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000L,
                names[level], msg);
}
