/*
 * wiretag - wt_http.c: the metrics and health endpoint (see wt_http.h).
 */
#include "wt_http.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct wt_http_s {
        struct MHD_Daemon *daemon;
        wt_stream_t *_Atomic stream; /* NULL: starting */
};

static enum MHD_Result wt_http_reply(struct MHD_Connection *conn,
                                     unsigned status, const char *type,
                                     void *body, size_t len,
                                     enum MHD_ResponseMemoryMode mode) {
        struct MHD_Response *r =
                MHD_create_response_from_buffer(len, body, mode);
        enum MHD_Result rc;
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, "Content-Type", type);
        rc = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return rc;
}

static enum MHD_Result wt_http_handle(void *cls, struct MHD_Connection *conn,
                                      const char *url, const char *method,
                                      const char *version,
                                      const char *upload_data,
                                      size_t *upload_data_size,
                                      void **con_cls) {
        wt_http_t *h = cls;
        wt_stream_t *stream = atomic_load(&h->stream);
        static char text[] = "text/plain; charset=utf-8";
        (void)version;
        (void)upload_data;
        (void)upload_data_size;
        (void)con_cls;

        if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
                static char msg[] = "only GET\n";
                return wt_http_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text,
                                     msg, sizeof(msg) - 1,
                                     MHD_RESPMEM_PERSISTENT);
        }
        if (!stream && (!strcmp(url, "/metrics") || !strcmp(url, "/healthz"))) {
                static char msg[] = "starting\n";
                return wt_http_reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, text,
                                     msg, sizeof(msg) - 1,
                                     MHD_RESPMEM_PERSISTENT);
        }
        if (!strcmp(url, "/metrics")) {
                size_t len = 0;
                char *body = wt_stream_metrics(stream, &len);
                if (!body) {
                        static char msg[] = "out of memory\n";
                        return wt_http_reply(
                                conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text,
                                msg, sizeof(msg) - 1, MHD_RESPMEM_PERSISTENT);
                }
                return wt_http_reply(conn, MHD_HTTP_OK,
                                     "text/plain; version=0.0.4; "
                                     "charset=utf-8",
                                     body, len, MHD_RESPMEM_MUST_FREE);
        }
        if (!strcmp(url, "/healthz")) {
                const char *why;
                int ok = wt_stream_healthy(stream, &why);
                char msg[128];
                size_t n = (size_t)snprintf(msg, sizeof(msg), "%s\n", why);
                return wt_http_reply(conn,
                                     ok ? MHD_HTTP_OK
                                        : MHD_HTTP_SERVICE_UNAVAILABLE,
                                     text, msg,
                                     n < sizeof(msg) ? n : sizeof(msg) - 1,
                                     MHD_RESPMEM_MUST_COPY);
        }
        {
                static char msg[] = "not found: try /metrics or /healthz\n";
                return wt_http_reply(conn, MHD_HTTP_NOT_FOUND, text, msg,
                                     sizeof(msg) - 1, MHD_RESPMEM_PERSISTENT);
        }
}

wt_err_t wt_http_start(const char *listen, wt_stream_t *stream,
                       wt_http_t **httpp, char *errstr, size_t errstr_size) {
        struct sockaddr_in sa;
        const char *colon = strrchr(listen, ':');
        char host[64];
        char *end;
        long port;
        wt_http_t *h;

        *httpp = NULL;
        if (!colon || colon == listen ||
            (size_t)(colon - listen) >= sizeof(host))
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "metrics.listen: \"%s\" is not HOST:PORT",
                                 listen);
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        port = strtol(colon + 1, &end, 10);
        if (*end || end == colon + 1 || port < 1 || port > 65535)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "metrics.listen: port \"%s\" is not "
                                 "1..65535",
                                 colon + 1);
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        if (!strcmp(host, "localhost"))
                strcpy(host, "127.0.0.1");
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "metrics.listen: \"%s\" is not an IPv4 "
                                 "address",
                                 host);
        if (!(h = calloc(1, sizeof(*h))))
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "out of memory");
        atomic_init(&h->stream, stream);
        h->daemon = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                wt_http_handle, h, MHD_OPTION_SOCK_ADDR,
                (const struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned)10, MHD_OPTION_END);
        if (!h->daemon) {
                free(h);
                return wt_seterr(errstr, errstr_size, WT_ERR_IO,
                                 "metrics.listen: cannot listen on %s "
                                 "(address in use?)",
                                 listen);
        }
        *httpp = h;
        return WT_OK;
}

void wt_http_attach(wt_http_t *h, wt_stream_t *stream) {
        if (h)
                atomic_store(&h->stream, stream);
}

void wt_http_stop(wt_http_t *h) {
        if (!h)
                return;
        MHD_stop_daemon(h->daemon);
        free(h);
}
