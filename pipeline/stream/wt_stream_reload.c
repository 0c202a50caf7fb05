/*
 * wiretag - wt_stream_reload.c: the serving model and its reload.
 *
 * A binding is a model with what depends on it (the feature configuration
 * with input.fields applied, the label of every route, tag counters).
 * Workers and the metrics scrape read the serving binding through a
 * hazard slot (wt_binding_hold); a reload (SIGHUP, or model.watch seeing
 * the file change) loads and checks the new model on the consumer thread,
 * swaps it in, and frees the old one once no slot holds it. Workers never
 * wait.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "wt_log.h"
#include "wt_stream_int.h"

/* Free b and its model; accepts NULL. No hazard slot may hold it. */
void wt_binding_free(wt_binding_t *b) {
        if (!b)
                return;
        wt_model_destroy(b->model);
        free(b->route_label);
        free((void *)b->tags);
        free(b);
}

/* Load cfg's model.path and check it serves this configuration: the text
 * fields parse and every route names one of its labels. */
wt_err_t wt_binding_load(const wt_config_t *cfg, wt_binding_t **bp,
                         char *errstr, size_t errstr_size) {
        wt_binding_t *b = calloc(1, sizeof(*b));
        wt_err_t err;
        size_t i;

        *bp = NULL;
        if (!b || !(b->route_label = calloc(cfg->nroutes + 1, sizeof(int)))) {
                free(b);
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "out of memory");
        }
        if ((err = wt_model_load(cfg->model_path, &b->model, errstr,
                                 errstr_size)))
                goto fail;
        if (!(b->tags = calloc(wt_model_nlabels(b->model) + 1,
                               sizeof(*b->tags)))) {
                err = wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                "out of memory");
                goto fail;
        }
        {
                struct timespec now;
                clock_gettime(CLOCK_REALTIME, &now);
                b->loaded_at = (double)now.tv_sec + now.tv_nsec * 1e-9;
        }
        b->fconf = *wt_model_feature_conf(b->model);
        if (cfg->input_fields &&
            (err = wt_feature_conf_set_fields(&b->fconf, cfg->input_fields,
                                              errstr, errstr_size)))
                goto fail;
        for (i = 0; i < cfg->nroutes; i++) {
                b->route_label[i] =
                        wt_model_label_index(b->model, cfg->routes[i].label);
                if (b->route_label[i] < 0) {
                        err = wt_seterr(errstr, errstr_size,
                                        WT_ERR_INVALID_ARG,
                                        "route.%s: model %s has no label "
                                        "\"%s\"",
                                        cfg->routes[i].label,
                                        wt_model_name(b->model),
                                        cfg->routes[i].label);
                        goto fail;
                }
        }
        *bp = b;
        return WT_OK;
fail:
        wt_binding_free(b);
        return err;
}

/* Async-signal-safe: one atomic store; the consumer thread reloads. */
void wt_stream_request_reload(wt_stream_t *s) {
        atomic_store(&s->reload_requested, 1);
}

/* Load and check the model file again, then swap it in between messages.
 * Runs on the consumer thread, never on a worker: workers keep classifying
 * with the old model meanwhile and never wait. The old model is freed once
 * no worker's hazard slot holds it. A model that fails to load or check
 * is refused and the old one keeps serving. */
void wt_stream_reload(wt_stream_t *s) {
        wt_binding_t *nb, *old;
        char errstr[512] = "";
        unsigned w;

        if (wt_binding_load(s->cfg, &nb, errstr, sizeof(errstr))) {
                old = atomic_load(&s->binding);
                atomic_fetch_add(&s->reload_failures, 1);
                wt_log_error("model reload refused: %s; still serving %s "
                             "(%s)",
                             errstr, wt_model_name(old->model),
                             wt_model_id(old->model));
                return;
        }
        old = atomic_exchange(&s->binding, nb);
        for (w = 0; w <= s->nworkers; w++)
                while (atomic_load(w < s->nworkers ? &s->workers[w].hazard
                                                   : &s->scrape_hazard) ==
                       old) {
                        struct timespec ts = {0, 200 * 1000};
                        nanosleep(&ts, NULL);
                }
        atomic_fetch_add(&s->reloads, 1);
        wt_log_info("model reloaded: %s (%s), %zu labels, %zu features; "
                    "was %s (%s)",
                    wt_model_name(nb->model), wt_model_id(nb->model),
                    wt_model_nlabels(nb->model), wt_model_nfeatures(nb->model),
                    wt_model_name(old->model), wt_model_id(old->model));
        wt_binding_free(old);
}

/* The serving binding, published in a hazard slot (a worker's, or the
 * metrics scrape's) until the holder is done: store the slot, then check
 * the binding is still the serving one (a reload in between is retried),
 * so a reloader that no longer sees it in any slot knows nobody can start
 * using it. */
wt_binding_t *wt_binding_hold(wt_stream_t *s,
                              _Atomic(wt_binding_t *) *slot) {
        wt_binding_t *b = atomic_load(&s->binding), *now;
        for (;;) {
                atomic_store(slot, b);
                now = atomic_load(&s->binding);
                if (now == b)
                        return b;
                b = now;
        }
}

/* 1 when path is not the file *id last saw (and remember it); a missing
 * file is no change: the serving model stays until a new one appears. */
int wt_reload_file_changed(const char *path, wt_file_id_t *id) {
        struct stat st;
        int changed;
        if (stat(path, &st))
                return 0;
        changed = id->known &&
                  (st.st_dev != id->dev || st.st_ino != id->ino ||
                   st.st_size != id->size ||
                   st.st_mtim.tv_sec != id->mtime.tv_sec ||
                   st.st_mtim.tv_nsec != id->mtime.tv_nsec);
        id->known = 1;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->size = st.st_size;
        id->mtime = st.st_mtim;
        return changed;
}
