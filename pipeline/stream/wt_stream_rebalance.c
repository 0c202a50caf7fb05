/*
 * wiretag - wt_stream_rebalance.c: the consumer group gives partitions
 * and takes them away.
 *
 * An assigned partition gets a tracker. A revoked one is finished before
 * it is let go, so that its next owner starts right after what this
 * process published: its held messages are dropped (never admitted, so
 * never committed), what is in flight is drained and committed
 * (exactly_once: the open transaction is committed), and only then is the
 * assignment given up. A lost assignment (the group moved on without this
 * process) may be owned elsewhere already: nothing of it is committed.
 *
 * Runs on the consumer thread, inside rd_kafka_consumer_poll().
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_log.h"
#include "wt_stream_int.h"

/* "topic[p] topic[q] ..." into buf (size bytes), cut short if need be. */
static void wt_rebalance_describe(const rd_kafka_topic_partition_list_t *parts,
                                  char *buf, size_t size) {
        size_t off = 0;
        int i;
        buf[0] = '\0';
        for (i = 0; i < parts->cnt && off < size; i++)
                off += (size_t)snprintf(buf + off, size - off, "%s%s[%" PRId32
                                        "]",
                                        i ? " " : "", parts->elems[i].topic,
                                        parts->elems[i].partition);
}

/* Track the newly assigned partitions, then take them. Out of memory
 * stops wiretag. */
static rd_kafka_error_t *
wt_rebalance_assign(wt_stream_t *s, rd_kafka_t *rk,
                    rd_kafka_topic_partition_list_t *parts, const char *desc) {
        int i;
        pthread_mutex_lock(&s->lock);
        for (i = 0; i < parts->cnt; i++) {
                wt_part_t *pt = wt_part_new(s, parts->elems[i].topic,
                                            parts->elems[i].partition);
                if (!pt) {
                        wt_log_error("out of memory on assignment");
                        atomic_store(&s->fatal, 1);
                        atomic_store(&s->stop, 1);
                        break;
                }
                pt->next = s->assigned;
                s->assigned = pt;
        }
        pthread_mutex_unlock(&s->lock);
        wt_log_info("assigned %d partition(s): %s", parts->cnt, desc);
        if (s->cooperative)
                return rd_kafka_incremental_assign(rk, parts);
        rd_kafka_assign(rk, parts);
        return NULL;
}

/* Finish and commit the work of partitions being revoked (pts, n of
 * them, NULL where not tracked). A lost assignment commits nothing. */
static void wt_rebalance_finish(wt_stream_t *s, rd_kafka_t *rk,
                                wt_part_t **pts, int n, int lost,
                                const char *desc) {
        rd_kafka_resp_err_t cerr;
        int i;

        for (i = 0; pts && i < n; i++)
                if (pts[i]) {
                        wt_admit_drop_held(s, pts[i]);
                        pts[i]->leaving = 1;
                }
        /* exactly_once: commit the open transaction, whose offsets include
         * the revoked partitions', so the new owner starts right after
         * what is published; a lost assignment may be owned elsewhere
         * already: abort, and rewind the partitions kept. */
        if (s->eos && !atomic_load(&s->fatal)) {
                if (lost)
                        wt_txn_abort(s, 1, "partitions lost");
                else
                        wt_txn_commit(s, "revocation");
        }
        if (s->eos || lost)
                return;
        /* Finish what is in flight, so that the new owner starts right
         * after it, then commit. */
        if (pts && wt_admit_drain(s, pts, n, s->cfg->shutdown_timeout_ms, 0))
                wt_log_warn("revoking %s: in-flight messages did not finish "
                            "within %u ms; they will be processed again by "
                            "the next owner",
                            desc, s->cfg->shutdown_timeout_ms);
        cerr = rd_kafka_commit(rk, NULL, 0);
        if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
                wt_log_warn("commit on revocation: %s",
                            rd_kafka_err2str(cerr));
}

/* Finish the revoked partitions' work, retire their trackers (late
 * delivery reports may still touch them) and give them up. */
static rd_kafka_error_t *
wt_rebalance_revoke(wt_stream_t *s, rd_kafka_t *rk,
                    rd_kafka_topic_partition_list_t *parts, const char *desc) {
        wt_part_t **pts = calloc((size_t)parts->cnt + 1, sizeof(*pts));
        int lost = rd_kafka_assignment_lost(rk);
        int i;

        pthread_mutex_lock(&s->lock);
        for (i = 0; pts && i < parts->cnt; i++)
                pts[i] = wt_part_find(s, parts->elems[i].topic,
                                      parts->elems[i].partition);
        pthread_mutex_unlock(&s->lock);
        wt_rebalance_finish(s, rk, pts, parts->cnt, lost, desc);
        pthread_mutex_lock(&s->lock);
        for (i = 0; pts && i < parts->cnt; i++) {
                wt_part_t **pp;
                if (!pts[i])
                        continue;
                wt_tracker_revoke(pts[i]->tracker);
                for (pp = &s->assigned; *pp; pp = &(*pp)->next)
                        if (*pp == pts[i]) {
                                *pp = pts[i]->next;
                                break;
                        }
                pts[i]->next = s->retired;
                s->retired = pts[i];
        }
        pthread_mutex_unlock(&s->lock);
        free(pts);
        wt_log_info("%s %d partition(s): %s", lost ? "lost" : "revoked",
                    parts->cnt, desc);
        if (s->cooperative)
                return rd_kafka_incremental_unassign(rk, parts);
        rd_kafka_assign(rk, NULL);
        return NULL;
}

void wt_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                     rd_kafka_topic_partition_list_t *parts, void *opaque) {
        wt_stream_t *s = opaque;
        char desc[1024];
        rd_kafka_error_t *error = NULL;

        /* The protocol is known only once the group is joined. */
        s->cooperative =
                !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
        wt_rebalance_describe(parts, desc, sizeof(desc));
        atomic_fetch_add(&s->rebalances, 1);
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                error = wt_rebalance_assign(s, rk, parts, desc);
        } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
                error = wt_rebalance_revoke(s, rk, parts, desc);
        } else {
                wt_log_error("rebalance failed: %s", rd_kafka_err2str(err));
                if (s->cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        rd_kafka_assign(rk, NULL);
        }
        if (error) {
                wt_log_error("incremental rebalance: %s",
                             rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        }
}
