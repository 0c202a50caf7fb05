/*
 * wiretag tests - wt_admin.c: fast topic administration for the stream
 * tests, with librdkafka's Admin API (no JVM start per topic).
 *
 *   wt_admin -b BOOTSTRAP create TOPIC PARTITIONS [config=value ...]
 *   wt_admin -b BOOTSTRAP delete TOPIC
 *   wt_admin -b BOOTSTRAP count TOPIC     messages now in TOPIC (sum over
 *                                         partitions of high - low
 *                                         watermark), one number on stdout
 *   wt_admin -b BOOTSTRAP committed GROUP TOPIC
 *                                         per partition: "PARTITION
 *                                         COMMITTED HIGH" (COMMITTED -1:
 *                                         none), one line each
 *
 * create is idempotent: a topic that already exists is success (its
 * partition count is not checked). delete of a missing topic is success.
 * Every request is bounded (-t SECONDS, default 15). Exit status: 0 ok,
 * 1 failed, 2 usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

static int timeout_ms = 15000;

static void usage(void) {
        fprintf(stderr,
                "usage: wt_admin [-t SECONDS] -b BOOTSTRAP create TOPIC "
                "PARTITIONS [config=value ...]\n"
                "       wt_admin [-t SECONDS] -b BOOTSTRAP delete TOPIC\n"
                "       wt_admin [-t SECONDS] -b BOOTSTRAP count TOPIC\n"
                "       wt_admin [-t SECONDS] -b BOOTSTRAP committed GROUP "
                "TOPIC\n");
}

/* A producer handle (admin requests, metadata, watermarks) or, with a
 * group, a consumer handle that never subscribes (committed offsets). */
static rd_kafka_t *client(const char *bootstrap, const char *group) {
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK ||
            rd_kafka_conf_set(conf, "log_level", "3", errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK ||
            (group && rd_kafka_conf_set(conf, "group.id", group, errstr,
                                        sizeof(errstr)) != RD_KAFKA_CONF_OK)) {
                fprintf(stderr, "wt_admin: %s\n", errstr);
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        rk = rd_kafka_new(group ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, conf,
                          errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "wt_admin: %s\n", errstr);
                rd_kafka_conf_destroy(conf);
        }
        return rk;
}

/* Wait (bounded) for the one result event of an admin request. */
static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q,
                                     rd_kafka_event_type_t type) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
        if (!ev) {
                fprintf(stderr, "wt_admin: no answer within %d ms\n",
                        timeout_ms + 2000);
                return NULL;
        }
        if (rd_kafka_event_type(ev) != type) {
                fprintf(stderr, "wt_admin: unexpected event %s: %s\n",
                        rd_kafka_event_name(ev),
                        rd_kafka_event_error_string(ev)
                                ? rd_kafka_event_error_string(ev)
                                : "");
                rd_kafka_event_destroy(ev);
                return NULL;
        }
        if (rd_kafka_event_error(ev)) {
                fprintf(stderr, "wt_admin: %s\n",
                        rd_kafka_event_error_string(ev));
                rd_kafka_event_destroy(ev);
                return NULL;
        }
        return ev;
}

static rd_kafka_AdminOptions_t *options(rd_kafka_t *rk, rd_kafka_admin_op_t op) {
        char errstr[256];
        rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
        rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, errstr,
                                                  sizeof(errstr));
        if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS ||
            op == RD_KAFKA_ADMIN_OP_DELETETOPICS)
                rd_kafka_AdminOptions_set_operation_timeout(
                        o, timeout_ms, errstr, sizeof(errstr));
        return o;
}

static int cmd_create(rd_kafka_t *rk, const char *topic, const char *parts,
                      int nconf, char **confs) {
        char errstr[512], *end;
        long n = strtol(parts, &end, 10);
        rd_kafka_NewTopic_t *nt;
        rd_kafka_AdminOptions_t *o;
        rd_kafka_queue_t *q;
        rd_kafka_event_t *ev;
        const rd_kafka_CreateTopics_result_t *res;
        const rd_kafka_topic_result_t **tr;
        size_t cnt;
        int i, rc = 1;

        if (*end || n < 1 || n > 100000) {
                fprintf(stderr, "wt_admin: bad partition count \"%s\"\n",
                        parts);
                return 2;
        }
        nt = rd_kafka_NewTopic_new(topic, (int)n, 1, errstr, sizeof(errstr));
        if (!nt) {
                fprintf(stderr, "wt_admin: %s\n", errstr);
                return 1;
        }
        for (i = 0; i < nconf; i++) {
                char *eq = strchr(confs[i], '=');
                if (!eq) {
                        fprintf(stderr, "wt_admin: \"%s\" is not config=value\n",
                                confs[i]);
                        rd_kafka_NewTopic_destroy(nt);
                        return 2;
                }
                *eq = '\0';
                if (rd_kafka_NewTopic_set_config(nt, confs[i], eq + 1)) {
                        fprintf(stderr, "wt_admin: cannot set %s\n", confs[i]);
                        rd_kafka_NewTopic_destroy(nt);
                        return 1;
                }
        }
        q = rd_kafka_queue_new(rk);
        o = options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_CreateTopics(rk, &nt, 1, o, q);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_NewTopic_destroy(nt);
        if ((ev = wait_result(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT))) {
                res = rd_kafka_event_CreateTopics_result(ev);
                tr = rd_kafka_CreateTopics_result_topics(res, &cnt);
                if (cnt != 1) {
                        fprintf(stderr, "wt_admin: %zu results\n", cnt);
                } else if (rd_kafka_topic_result_error(tr[0]) ==
                           RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                        fprintf(stderr, "wt_admin: %s already exists\n", topic);
                        rc = 0;
                } else if (rd_kafka_topic_result_error(tr[0])) {
                        fprintf(stderr, "wt_admin: create %s: %s: %s\n", topic,
                                rd_kafka_err2name(
                                        rd_kafka_topic_result_error(tr[0])),
                                rd_kafka_topic_result_error_string(tr[0])
                                        ? rd_kafka_topic_result_error_string(
                                                  tr[0])
                                        : "");
                } else {
                        rc = 0;
                }
                rd_kafka_event_destroy(ev);
        }
        rd_kafka_queue_destroy(q);
        return rc;
}

static int cmd_delete(rd_kafka_t *rk, const char *topic) {
        rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
        rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS);
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_event_t *ev;
        int rc = 1;

        rd_kafka_DeleteTopics(rk, &dt, 1, o, q);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_DeleteTopic_destroy(dt);
        if ((ev = wait_result(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT))) {
                size_t cnt;
                const rd_kafka_topic_result_t **tr =
                        rd_kafka_DeleteTopics_result_topics(
                                rd_kafka_event_DeleteTopics_result(ev), &cnt);
                rd_kafka_resp_err_t err =
                        cnt == 1 ? rd_kafka_topic_result_error(tr[0])
                                 : RD_KAFKA_RESP_ERR__FAIL;
                if (!err || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                        rc = 0;
                else
                        fprintf(stderr, "wt_admin: delete %s: %s\n", topic,
                                rd_kafka_err2str(err));
                rd_kafka_event_destroy(ev);
        }
        rd_kafka_queue_destroy(q);
        return rc;
}

static int cmd_count(rd_kafka_t *rk, const char *topic) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err;
        int64_t total = 0;
        int p;

        err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        rd_kafka_topic_destroy(rkt);
        if (err || md->topic_cnt != 1 || md->topics[0].err) {
                fprintf(stderr, "wt_admin: metadata of %s: %s\n", topic,
                        rd_kafka_err2str(err ? err
                                             : md->topic_cnt == 1
                                                       ? md->topics[0].err
                                                       : RD_KAFKA_RESP_ERR__FAIL));
                if (md)
                        rd_kafka_metadata_destroy(md);
                return 1;
        }
        for (p = 0; p < md->topics[0].partition_cnt; p++) {
                int64_t lo, hi;
                err = rd_kafka_query_watermark_offsets(
                        rk, topic, md->topics[0].partitions[p].id, &lo, &hi,
                        timeout_ms);
                if (err) {
                        fprintf(stderr, "wt_admin: watermarks of %s [%d]: %s\n",
                                topic, md->topics[0].partitions[p].id,
                                rd_kafka_err2str(err));
                        rd_kafka_metadata_destroy(md);
                        return 1;
                }
                total += hi - lo;
        }
        rd_kafka_metadata_destroy(md);
        printf("%" PRId64 "\n", total);
        return 0;
}

static int cmd_committed(rd_kafka_t *rk, const char *topic) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_topic_partition_list_t *tpl;
        rd_kafka_resp_err_t err;
        int p, rc = 0;

        err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        rd_kafka_topic_destroy(rkt);
        if (err || md->topic_cnt != 1 || md->topics[0].err) {
                fprintf(stderr, "wt_admin: metadata of %s failed\n", topic);
                if (md)
                        rd_kafka_metadata_destroy(md);
                return 1;
        }
        tpl = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
        for (p = 0; p < md->topics[0].partition_cnt; p++)
                rd_kafka_topic_partition_list_add(
                        tpl, topic, md->topics[0].partitions[p].id);
        rd_kafka_metadata_destroy(md);
        err = rd_kafka_committed(rk, tpl, timeout_ms);
        if (err) {
                fprintf(stderr, "wt_admin: committed offsets: %s\n",
                        rd_kafka_err2str(err));
                rd_kafka_topic_partition_list_destroy(tpl);
                return 1;
        }
        for (p = 0; p < tpl->cnt; p++) {
                int64_t lo, hi;
                if (tpl->elems[p].err ||
                    rd_kafka_query_watermark_offsets(
                            rk, topic, tpl->elems[p].partition, &lo, &hi,
                            timeout_ms)) {
                        fprintf(stderr, "wt_admin: %s [%d]: no offsets\n",
                                topic, tpl->elems[p].partition);
                        rc = 1;
                        continue;
                }
                printf("%d %" PRId64 " %" PRId64 "\n", tpl->elems[p].partition,
                       tpl->elems[p].offset < 0 ? -1 : tpl->elems[p].offset,
                       hi);
        }
        rd_kafka_topic_partition_list_destroy(tpl);
        return rc;
}

int main(int argc, char **argv) {
        const char *bootstrap = NULL;
        rd_kafka_t *rk;
        int i = 1, rc;

        while (i < argc && argv[i][0] == '-') {
                if (!strcmp(argv[i], "-b") && i + 1 < argc) {
                        bootstrap = argv[i + 1];
                        i += 2;
                } else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
                        timeout_ms = atoi(argv[i + 1]) * 1000;
                        if (timeout_ms <= 0)
                                timeout_ms = 15000;
                        i += 2;
                } else {
                        usage();
                        return 2;
                }
        }
        if (!bootstrap || i >= argc) {
                usage();
                return 2;
        }
        if (!strcmp(argv[i], "create") && argc - i >= 3) {
                if (!(rk = client(bootstrap, NULL)))
                        return 1;
                rc = cmd_create(rk, argv[i + 1], argv[i + 2], argc - i - 3,
                                argv + i + 3);
        } else if (!strcmp(argv[i], "delete") && argc - i == 2) {
                if (!(rk = client(bootstrap, NULL)))
                        return 1;
                rc = cmd_delete(rk, argv[i + 1]);
        } else if (!strcmp(argv[i], "count") && argc - i == 2) {
                if (!(rk = client(bootstrap, NULL)))
                        return 1;
                rc = cmd_count(rk, argv[i + 1]);
        } else if (!strcmp(argv[i], "committed") && argc - i == 3) {
                if (!(rk = client(bootstrap, argv[i + 1])))
                        return 1;
                rc = cmd_committed(rk, argv[i + 2]);
        } else {
                usage();
                return 2;
        }
        rd_kafka_destroy(rk);
        return rc;
}
