/*
 * wiretag - wt_http.h: the metrics and health endpoint of `wiretag run`.
 *
 * With metrics.listen=HOST:PORT, an HTTP server (libmicrohttpd, its own
 * thread) answers:
 *   GET /metrics  200, the stream's counters in Prometheus text format
 *   GET /healthz  503 "starting" from process start until the stream
 *                 is subscribed, then 200 "ok" while it serves, else 503
 *                 and why ("stopping", "stopped on a fatal error")
 *   anything else 404 (405 for a method other than GET or HEAD).
 */
#ifndef WT_HTTP_H
#define WT_HTTP_H

#include <stddef.h>

#include "wt_err.h"
#include "wt_stream.h"

typedef struct wt_http_s wt_http_t;

/** Listen on "HOST:PORT" (an IPv4 address, or "localhost"; port 1..65535)
 *  and serve stream until wt_http_stop(). stream may be NULL: started
 *  before the stream exists (its Kafka checks can take a while), the
 *  server answers 503 "starting" on both paths until wt_http_attach(). */
wt_err_t wt_http_start(const char *listen, wt_stream_t *stream,
                       wt_http_t **httpp, char *errstr, size_t errstr_size);

/** Serve stream from now on; it must outlive the server (stop the server
 *  first). @locality any thread. */
void wt_http_attach(wt_http_t *http, wt_stream_t *stream);

/** Stop serving and release everything; accepts NULL. */
void wt_http_stop(wt_http_t *http);

#endif /* WT_HTTP_H */
