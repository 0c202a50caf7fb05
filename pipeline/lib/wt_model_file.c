/*
 * wiretag - wt_model_file.c: the .wtm model file format.
 *
 * Layout (all integers little-endian):
 *
 *   0   char[8]  magic "WIRETAG\0"
 *   8   u32      format version (WT_MODEL_FORMAT_VERSION)
 *   12  u32      number of sections (1..16)
 *   16  u64      file size in bytes, trailer included
 *   24  section table: per section
 *         char[4] tag, u32 reserved (0), u64 offset, u64 size
 *   ... sections, each starting on an 8-byte boundary
 *   end-8 u64    XXH3-64 of every byte before the trailer
 *
 * Sections:
 *   CONF  JSON: model name, the complete feature configuration, label names,
 *         thresholds, pooling, single/multi-label, score kind
 *   META  JSON: training metadata (data files with sha256, document
 *         counts, cross-validated scores, date, tool version)
 *   VOCB  u32 n; u32 bucket[n] (strictly increasing); f32 idf[n]
 *   WGHT  u32 nfeatures; u32 nlabels; f32 w[nfeatures][nlabels]
 *         (feature-major); f32 bias[nlabels]
 *
 * The loader trusts nothing: every size is checked against the buffer
 * before it is read, every value against its legal range, and the
 * checksum before anything else is parsed, so a truncated, corrupted,
 * wrong-version or hostile file is rejected with a message saying what is
 * wrong, and no byte outside the buffer is read. Readers skip sections
 * with tags they do not know.
 */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "wt_model_int.h"
#include "wt_tokenizer.h"

#define WT_MAGIC        "WIRETAG"
#define WT_HDR_SIZE     24
#define WT_SEC_SIZE     24
#define WT_SECTIONS_MAX 16
#define WT_LABELS_MAX   100000

/* Memory for a large block (the weights, the file being read): aligned
 * to 2 MB and marked for transparent huge pages where the kernel has
 * them. A 40 MB weight matrix in 4 KB pages took 10,000 page faults to
 * fill (most of a model load) and, read in random rows, a TLB miss per
 * row; in huge pages it is 20 of each. Released with free(). */
#define WT_HUGE_PAGE ((size_t)2 << 20)
static void *wt_alloc_large(size_t size) {
        void *p;
        if (size < WT_HUGE_PAGE)
                return malloc(size ? size : 1);
        size = (size + WT_HUGE_PAGE - 1) & ~(WT_HUGE_PAGE - 1);
        if (!(p = aligned_alloc(WT_HUGE_PAGE, size)))
                return NULL;
#ifdef MADV_HUGEPAGE
        (void)madvise(p, size, MADV_HUGEPAGE); /* a hint: may fail */
#endif
        return p;
}

static uint32_t wt_rd32(const unsigned char *p) {
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 24;
}
static uint64_t wt_rd64(const unsigned char *p) {
        return (uint64_t)wt_rd32(p) | (uint64_t)wt_rd32(p + 4) << 32;
}
static float wt_rdf32(const unsigned char *p) {
        uint32_t u = wt_rd32(p);
        float f;
        memcpy(&f, &u, sizeof(f));
        return f;
}
static void wt_wr32(unsigned char *p, uint32_t v) {
        p[0] = (unsigned char)v;
        p[1] = (unsigned char)(v >> 8);
        p[2] = (unsigned char)(v >> 16);
        p[3] = (unsigned char)(v >> 24);
}
static void wt_wr64(unsigned char *p, uint64_t v) {
        wt_wr32(p, (uint32_t)v);
        wt_wr32(p + 4, (uint32_t)(v >> 32));
}
static void wt_wrf32(unsigned char *p, float f) {
        uint32_t u;
        memcpy(&u, &f, sizeof(u));
        wt_wr32(p, u);
}

static const char *wt_tf_name(wt_tf_t tf) {
        return tf == WT_TF_LOG ? "log" : tf == WT_TF_BINARY ? "binary" : "raw";
}

/* The CONF section as JSON; NULL when out of memory (never a document
 * with a field or label left out). */
static json_t *wt_conf_to_json(const wt_model_t *m) {
        json_t *fields = json_array(), *labels = json_array(), *root;
        char seed[32];
        uint32_t i;
        int bad = !fields || !labels;

        for (i = 0; i < m->conf.nfields && !bad; i++)
                bad = json_array_append_new(
                        fields, json_string(m->conf.fields[i]));
        for (i = 0; i < m->nlabels && !bad; i++)
                bad = json_array_append_new(
                        labels,
                        json_pack("{s:s, s:f, s:s}", "name", m->labels[i],
                                  "threshold", (double)m->thresholds[i],
                                  "pooling",
                                  m->pooling[i] == WT_POOL_SENTENCE_MAX
                                          ? "sentence_max"
                                          : "doc"));
        if (bad) {
                json_decref(fields);
                json_decref(labels);
                return NULL;
        }
        snprintf(seed, sizeof(seed), "0x%016llx",
                 (unsigned long long)m->conf.seed);
        root = json_pack(
                "{s:s, s:b, s:s, s:{s:b, s:b, s:i, s:i, s:s, s:b, s:s, s:b, "
                "s:b, s:o}, s:o}",
                "name", m->name ? m->name : "", "multilabel", m->multilabel,
                "score",
                m->score_kind == WT_SCORE_MARGIN ? "margin" : "probability",
                "features", "fold_case",
                !!(m->conf.tok_flags & WT_TOK_FOLD_CASE), "fold_digits",
                !!(m->conf.tok_flags & WT_TOK_FOLD_DIGITS), "ngrams",
                (int)m->conf.ngram_max, "bits", (int)m->conf.bits, "seed", seed,
                "signed", m->conf.signed_hash, "tf", wt_tf_name(m->conf.tf),
                "idf", m->conf.idf, "l2norm", m->conf.l2norm, "fields", fields,
                "labels", labels);
        return root;
}

json_t *wt_model_info_json(const wt_model_t *m) {
        json_t *info = wt_conf_to_json(m);
        if (!info)
                return NULL;
        json_object_set_new(info, "model_id", json_string(m->id));
        json_object_set_new(info, "format_version",
                            json_integer(WT_MODEL_FORMAT_VERSION));
        json_object_set_new(info, "nfeatures",
                            json_integer((json_int_t)wt_model_nfeatures(m)));
        json_object_set(info, "training", m->meta);
        return info;
}

void wt_model_set_id(wt_model_t *m, const unsigned char *buf, size_t len) {
        snprintf(m->id, sizeof(m->id), "%016llx",
                 (unsigned long long)wt_rd64(buf + len - 8));
}

typedef struct wt_section_out {
        const char *tag;
        unsigned char *data;
        size_t size;
} wt_section_out_t;

wt_err_t wt_model_serialize(const wt_model_t *m, unsigned char **bufp,
                            size_t *lenp) {
        wt_section_out_t sec[4];
        json_t *conf;
        char *conf_txt, *meta_txt;
        size_t nf = wt_model_nfeatures(m), L = m->nlabels, i, off, total;
        unsigned char *buf, *p;
        const uint32_t *buckets = m->vocab ? wt_vocab_buckets(m->vocab) : NULL;
        const float *idf = m->vocab ? wt_vocab_idf(m->vocab) : NULL;
        uint64_t sum;
        int s;

        *bufp = NULL;
        *lenp = 0;
        conf = wt_conf_to_json(m);
        if (!conf)
                return WT_ERR_NOMEM;
        conf_txt = json_dumps(conf, JSON_INDENT(1) | JSON_SORT_KEYS);
        json_decref(conf);
        meta_txt = json_dumps(m->meta, JSON_INDENT(1) | JSON_SORT_KEYS);
        if (!conf_txt || !meta_txt) {
                free(conf_txt);
                free(meta_txt);
                return WT_ERR_NOMEM;
        }

        sec[0] = (wt_section_out_t){"CONF", (unsigned char *)conf_txt,
                                    strlen(conf_txt)};
        sec[1] = (wt_section_out_t){"META", (unsigned char *)meta_txt,
                                    strlen(meta_txt)};
        sec[2] = (wt_section_out_t){"VOCB", NULL, 4 + nf * 8};
        sec[3] = (wt_section_out_t){"WGHT", NULL, 8 + (nf * L + L) * 4};

        off = WT_HDR_SIZE + 4 * WT_SEC_SIZE;
        total = off;
        for (s = 0; s < 4; s++)
                total = ((total + 7) & ~(size_t)7) + sec[s].size;
        total = ((total + 7) & ~(size_t)7) + 8;

        buf = calloc(1, total);
        if (!buf) {
                free(conf_txt);
                free(meta_txt);
                return WT_ERR_NOMEM;
        }
        memcpy(buf, WT_MAGIC, 8);
        wt_wr32(buf + 8, WT_MODEL_FORMAT_VERSION);
        wt_wr32(buf + 12, 4);
        wt_wr64(buf + 16, total);

        for (s = 0; s < 4; s++) {
                unsigned char *ent = buf + WT_HDR_SIZE + s * WT_SEC_SIZE;
                off = (off + 7) & ~(size_t)7;
                memcpy(ent, sec[s].tag, 4);
                wt_wr64(ent + 8, off);
                wt_wr64(ent + 16, sec[s].size);
                p = buf + off;
                if (sec[s].data) {
                        memcpy(p, sec[s].data, sec[s].size);
                } else if (s == 2) {
                        wt_wr32(p, (uint32_t)nf);
                        for (i = 0; i < nf; i++) {
                                wt_wr32(p + 4 + i * 4, buckets[i]);
                                wt_wrf32(p + 4 + nf * 4 + i * 4, idf[i]);
                        }
                } else {
                        wt_wr32(p, (uint32_t)nf);
                        wt_wr32(p + 4, (uint32_t)L);
                        for (i = 0; i < nf * L; i++)
                                wt_wrf32(p + 8 + i * 4, m->weights[i]);
                        for (i = 0; i < L; i++)
                                wt_wrf32(p + 8 + (nf * L + i) * 4, m->bias[i]);
                }
                off += sec[s].size;
        }
        sum = XXH3_64bits(buf, total - 8);
        wt_wr64(buf + total - 8, sum);
        free(conf_txt);
        free(meta_txt);
        *bufp = buf;
        *lenp = total;
        return WT_OK;
}

wt_err_t wt_model_save(const wt_model_t *m, const char *path, char *errstr,
                       size_t errstr_size) {
        unsigned char *buf;
        size_t len;
        char tmp[4096];
        FILE *fp;
        wt_err_t err;

        if ((err = wt_model_serialize(m, &buf, &len)))
                return wt_seterr(errstr, errstr_size, err,
                                 "%s: cannot serialise model", path);
        snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
        fp = fopen(tmp, "wb");
        if (!fp) {
                free(buf);
                return wt_seterr(errstr, errstr_size, WT_ERR_IO, "%s: %s",
                                 tmp, strerror(errno));
        }
        if (fwrite(buf, 1, len, fp) != len || fflush(fp) != 0) {
                err = wt_seterr(errstr, errstr_size, WT_ERR_IO, "%s: %s", tmp,
                                strerror(errno));
                fclose(fp);
                remove(tmp);
                free(buf);
                return err;
        }
        free(buf);
        if (fclose(fp) != 0 || rename(tmp, path) != 0) {
                err = wt_seterr(errstr, errstr_size, WT_ERR_IO, "%s: %s", path,
                                strerror(errno));
                remove(tmp);
                return err;
        }
        return WT_OK;
}

#define BAD(code, ...) wt_seterr(errstr, errstr_size, code, __VA_ARGS__)

/* Parse and check the CONF section into m. */
/* CONF's "features" object into *conf (its fields checked together by
 * wt_feature_conf_check()). */
static wt_err_t wt_conf_features_from_json(json_t *features,
                                           wt_feature_conf_t *conf,
                                           char *errstr, size_t errstr_size) {
        json_error_t jerr;
        json_t *fields;
        const char *seed, *tf;
        int fold_case, fold_digits, ngrams, bits, sgn, idf, l2;
        size_t i;
        char *end, cerr[256];

        if (json_unpack_ex(features, &jerr, JSON_STRICT,
                           "{s:b, s:b, s:i, s:i, s:s, s:b, s:s, s:b, s:b, "
                           "s:o}",
                           "fold_case", &fold_case, "fold_digits",
                           &fold_digits, "ngrams", &ngrams, "bits", &bits,
                           "seed", &seed, "signed", &sgn, "tf", &tf, "idf",
                           &idf, "l2norm", &l2, "fields", &fields))
                return BAD(WT_ERR_MODEL_CORRUPT, "CONF section: %s",
                           jerr.text);
        memset(conf, 0, sizeof(*conf));
        conf->tok_flags = (fold_case ? WT_TOK_FOLD_CASE : 0) |
                          (fold_digits ? WT_TOK_FOLD_DIGITS : 0);
        conf->ngram_max = ngrams < 0 ? 0 : (unsigned)ngrams;
        conf->bits = bits < 0 ? 0 : (unsigned)bits;
        errno = 0;
        conf->seed = strtoull(seed, &end, 16);
        if (errno || *end || strncmp(seed, "0x", 2))
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "CONF section: seed \"%s\" is not a 0x-prefixed "
                           "64-bit hex number",
                           seed);
        conf->signed_hash = sgn;
        if (!strcmp(tf, "log"))
                conf->tf = WT_TF_LOG;
        else if (!strcmp(tf, "raw"))
                conf->tf = WT_TF_RAW;
        else if (!strcmp(tf, "binary"))
                conf->tf = WT_TF_BINARY;
        else
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "CONF section: unknown tf weighting \"%s\"", tf);
        conf->idf = idf;
        conf->l2norm = l2;
        if (!json_is_array(fields) || json_array_size(fields) < 1 ||
            json_array_size(fields) > WT_FIELDS_MAX)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "CONF section: fields must be an array of 1..%d "
                           "names",
                           WT_FIELDS_MAX);
        conf->nfields = (unsigned)json_array_size(fields);
        for (i = 0; i < conf->nfields; i++) {
                const char *f = json_string_value(json_array_get(fields, i));
                if (!f || !*f || strlen(f) >= WT_FIELD_NAME_MAX)
                        return BAD(WT_ERR_MODEL_CORRUPT,
                                   "CONF section: field %zu is not a name of "
                                   "1..%d bytes",
                                   i + 1, WT_FIELD_NAME_MAX - 1);
                strcpy(conf->fields[i], f);
        }
        if (wt_feature_conf_check(conf, cerr, sizeof(cerr)))
                return BAD(WT_ERR_MODEL_CORRUPT, "CONF section: %s", cerr);
        return WT_OK;
}

/* Label i of CONF's "labels" array into m (labels 0..i-1 already set). */
static wt_err_t wt_conf_label_from_json(wt_model_t *m, size_t i,
                                        json_t *label, char *errstr,
                                        size_t errstr_size) {
        json_error_t jerr;
        const char *lname, *pool;
        double thr;
        size_t j;

        if (json_unpack_ex(label, &jerr, JSON_STRICT, "{s:s, s:F, s:s}",
                           "name", &lname, "threshold", &thr, "pooling",
                           &pool))
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "CONF section: label %zu: %s", i + 1, jerr.text);
        if (!*lname || strlen(lname) > 255)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "CONF section: label %zu: name must be 1..255 "
                           "bytes",
                           i + 1);
        for (j = 0; j < i; j++)
                if (!strcmp(m->labels[j], lname))
                        return BAD(WT_ERR_MODEL_CORRUPT,
                                   "CONF section: label \"%s\" appears "
                                   "twice",
                                   lname);
        /* At most 1e30f: the trainer writes 1e30f for a label that must
         * never fire. */
        if (!isfinite(thr) || fabs(thr) > (double)1e30f)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "CONF section: label \"%s\": threshold is not a "
                           "finite number",
                           lname);
        if (!strcmp(pool, "sentence_max"))
                m->pooling[i] = WT_POOL_SENTENCE_MAX;
        else if (!strcmp(pool, "doc"))
                m->pooling[i] = WT_POOL_DOC;
        else
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "CONF section: label \"%s\": unknown pooling "
                           "\"%s\"",
                           lname, pool);
        m->any_sentence_pool |= m->pooling[i] == WT_POOL_SENTENCE_MAX;
        m->thresholds[i] = (float)thr;
        if (!(m->labels[i] = strdup(lname)))
                return BAD(WT_ERR_NOMEM, "out of memory");
        return WT_OK;
}

static wt_err_t wt_conf_from_json(wt_model_t **mp, const char *txt,
                                  size_t len, char *errstr,
                                  size_t errstr_size) {
        json_error_t jerr;
        json_t *root, *features, *labels;
        const char *name, *score;
        int multilabel;
        wt_model_t *m = NULL;
        wt_feature_conf_t conf;
        size_t i, L;
        wt_err_t err = WT_OK;

        root = json_loadb(txt, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "CONF section: invalid JSON: %s", jerr.text);
        if (json_unpack_ex(root, &jerr, JSON_STRICT,
                           "{s:s, s:b, s:s, s:o, s:o}", "name", &name,
                           "multilabel", &multilabel, "score", &score,
                           "features", &features, "labels", &labels)) {
                err = BAD(WT_ERR_MODEL_CORRUPT, "CONF section: %s", jerr.text);
                goto done;
        }
        if ((err = wt_conf_features_from_json(features, &conf, errstr,
                                              errstr_size)))
                goto done;
        if (strcmp(score, "probability") && strcmp(score, "margin")) {
                err = BAD(WT_ERR_MODEL_CORRUPT,
                          "CONF section: unknown score kind \"%s\"", score);
                goto done;
        }
        if (!json_is_array(labels) || json_array_size(labels) < 1 ||
            json_array_size(labels) > WT_LABELS_MAX) {
                err = BAD(WT_ERR_MODEL_CORRUPT,
                          "CONF section: labels must be an array of 1..%d",
                          WT_LABELS_MAX);
                goto done;
        }
        L = json_array_size(labels);
        if (!(m = wt_model_alloc((uint32_t)L)) || !(m->name = strdup(name))) {
                err = BAD(WT_ERR_NOMEM, "out of memory");
                goto done;
        }
        m->conf = conf;
        m->multilabel = multilabel;
        m->score_kind = strcmp(score, "margin") ? WT_SCORE_PROBABILITY
                                                : WT_SCORE_MARGIN;
        for (i = 0; i < L && !err; i++)
                err = wt_conf_label_from_json(m, i, json_array_get(labels, i),
                                              errstr, errstr_size);
done:
        json_decref(root);
        if (err) {
                wt_model_destroy(m);
                m = NULL;
        }
        *mp = m;
        return err;
}

/* Where the sections this version reads lie in a model file. */
typedef struct wt_sections {
        const unsigned char *conf, *meta, *vocb, *wght;
        uint64_t size_conf, size_meta, size_vocb, size_wght;
} wt_sections_t;

/* The header: magic, version, size, checksum. */
static wt_err_t wt_model_check_header(const unsigned char *buf, size_t len,
                                      char *errstr, size_t errstr_size) {
        uint64_t file_size, sum;
        uint32_t version;

        if (len < 8 || memcmp(buf, WT_MAGIC, 8))
                return BAD(len < 8 ? WT_ERR_MODEL_TRUNCATED : WT_ERR_MODEL_MAGIC,
                           len < 8 ? "file is %zu bytes, too short for a "
                                     "wiretag model"
                                   : "not a wiretag model (bad magic; %zu "
                                     "bytes)",
                           len);
        if (len < WT_HDR_SIZE + 8)
                return BAD(WT_ERR_MODEL_TRUNCATED,
                           "file is %zu bytes, shorter than the header", len);
        version = wt_rd32(buf + 8);
        if (version != WT_MODEL_FORMAT_VERSION)
                return BAD(WT_ERR_MODEL_VERSION,
                           "model format version %u; this wiretag reads "
                           "version %d (retrain or upgrade wiretag)",
                           version, WT_MODEL_FORMAT_VERSION);
        file_size = wt_rd64(buf + 16);
        if (file_size > len)
                return BAD(WT_ERR_MODEL_TRUNCATED,
                           "file is truncated: %zu bytes, header says "
                           "%llu",
                           len, (unsigned long long)file_size);
        if (file_size < len)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "%zu bytes after the end of the model (header "
                           "says %llu bytes)",
                           len - (size_t)file_size,
                           (unsigned long long)file_size);
        sum = XXH3_64bits(buf, len - 8);
        if (sum != wt_rd64(buf + len - 8))
                return BAD(WT_ERR_MODEL_CHECKSUM,
                           "checksum mismatch: file is corrupted (computed "
                           "%016llx, stored %016llx)",
                           (unsigned long long)sum,
                           (unsigned long long)wt_rd64(buf + len - 8));
        return WT_OK;
}

/* The section table: every entry inside the file, each known section
 * once, CONF, VOCB and WGHT present. Unknown sections are skipped. */
static wt_err_t wt_model_find_sections(const unsigned char *buf, size_t len,
                                       wt_sections_t *sec, char *errstr,
                                       size_t errstr_size) {
        uint32_t nsec = wt_rd32(buf + 12), s;
        uint64_t limit = len - 8;
        size_t i;

        memset(sec, 0, sizeof(*sec));
        if (nsec < 1 || nsec > WT_SECTIONS_MAX)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "header: %u sections (1..%d allowed)", nsec,
                           WT_SECTIONS_MAX);
        if (WT_HDR_SIZE + (uint64_t)nsec * WT_SEC_SIZE > limit)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "header: section table (%u entries) runs past "
                           "the end of the file",
                           nsec);
        for (s = 0; s < nsec; s++) {
                const unsigned char *ent = buf + WT_HDR_SIZE + s * WT_SEC_SIZE;
                uint64_t off = wt_rd64(ent + 8), size = wt_rd64(ent + 16);
                const unsigned char **secp = NULL;
                uint64_t *sizep = NULL;
                char tag[5];
                memcpy(tag, ent, 4);
                tag[4] = '\0';
                for (i = 0; i < 4; i++)
                        if (tag[i] < 0x20 || tag[i] > 0x7e)
                                tag[i] = '?';
                if (wt_rd32(ent + 4) != 0)
                        return BAD(WT_ERR_MODEL_CORRUPT,
                                   "section %u (%s): reserved field is not "
                                   "zero",
                                   s + 1, tag);
                if (off < WT_HDR_SIZE + (uint64_t)nsec * WT_SEC_SIZE ||
                    off > limit || size > limit - off)
                        return BAD(WT_ERR_MODEL_CORRUPT,
                                   "section %u (%s): bytes %llu..+%llu lie "
                                   "outside the file",
                                   s + 1, tag, (unsigned long long)off,
                                   (unsigned long long)size);
                if (!memcmp(ent, "CONF", 4))
                        secp = &sec->conf, sizep = &sec->size_conf;
                else if (!memcmp(ent, "META", 4))
                        secp = &sec->meta, sizep = &sec->size_meta;
                else if (!memcmp(ent, "VOCB", 4))
                        secp = &sec->vocb, sizep = &sec->size_vocb;
                else if (!memcmp(ent, "WGHT", 4))
                        secp = &sec->wght, sizep = &sec->size_wght;
                else
                        continue; /* a section this version does not use */
                if (*secp)
                        return BAD(WT_ERR_MODEL_CORRUPT,
                                   "section %s appears twice", tag);
                *secp = buf + off;
                *sizep = size;
        }
        if (!sec->conf || !sec->vocb || !sec->wght)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "required section %s is missing",
                           !sec->conf ? "CONF"
                           : !sec->vocb ? "VOCB"
                                        : "WGHT");
        return WT_OK;
}

/* VOCB: the kept buckets (strictly increasing, within the bucket bits)
 * and their idf (positive), into m->vocab; *nfp gets their count. */
static wt_err_t wt_model_read_vocab(wt_model_t *m, const unsigned char *vocb,
                                    uint64_t size, size_t *nfp, char *errstr,
                                    size_t errstr_size) {
        uint32_t *buckets = NULL;
        float *idf = NULL;
        wt_err_t err = WT_OK;
        size_t nf, i;

        if (size < 4)
                return BAD(WT_ERR_MODEL_CORRUPT, "VOCB section: too short");
        *nfp = nf = wt_rd32(vocb);
        if ((uint64_t)nf * 8 + 4 != size)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "VOCB section: %zu features need %llu bytes, "
                           "section has %llu",
                           nf, (unsigned long long)nf * 8 + 4,
                           (unsigned long long)size);
        buckets = malloc((nf ? nf : 1) * sizeof(*buckets));
        idf = malloc((nf ? nf : 1) * sizeof(*idf));
        if (!buckets || !idf) {
                err = BAD(WT_ERR_NOMEM, "out of memory (%zu features)", nf);
                goto done;
        }
        for (i = 0; i < nf && !err; i++) {
                buckets[i] = wt_rd32(vocb + 4 + i * 4);
                idf[i] = wt_rdf32(vocb + 4 + nf * 4 + i * 4);
                if (buckets[i] >> m->conf.bits)
                        err = BAD(WT_ERR_MODEL_CORRUPT,
                                  "VOCB section: feature %zu: bucket %u "
                                  "does not fit %u bits",
                                  i, buckets[i], m->conf.bits);
                else if (i > 0 && buckets[i] <= buckets[i - 1])
                        err = BAD(WT_ERR_MODEL_CORRUPT,
                                  "VOCB section: buckets not strictly "
                                  "increasing at feature %zu",
                                  i);
                else if (!isfinite(idf[i]) || idf[i] <= 0.0f)
                        err = BAD(WT_ERR_MODEL_CORRUPT,
                                  "VOCB section: feature %zu: idf is not a "
                                  "positive number",
                                  i);
        }
        if (!err && wt_vocab_new(buckets, idf, nf, &m->vocab))
                err = BAD(WT_ERR_NOMEM, "out of memory (%zu features)", nf);
done:
        free(buckets);
        free(idf);
        return err;
}

/* WGHT: nf x L finite float32 weights, feature-major, then L biases.
 * With adopt (see wt_model_load_impl()) and little-endian floats on a
 * 4-byte boundary (sections start on 8), the weights are used where they
 * lie in the file buffer, which the model then keeps. */
static wt_err_t wt_model_read_weights(wt_model_t *m, const unsigned char *wght,
                                      uint64_t size, size_t nf, void *adopt,
                                      int *adopted, char *errstr,
                                      size_t errstr_size) {
        size_t L = m->nlabels, i;
        float *inplace = NULL, *weights;

        if (size < 8 || wt_rd32(wght) != nf || wt_rd32(wght + 4) != L)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "WGHT section: shape does not match %zu features "
                           "x %zu labels",
                           nf, L);
        if (((uint64_t)nf * L + L) * 4 + 8 != size)
                return BAD(WT_ERR_MODEL_CORRUPT,
                           "WGHT section: %llu bytes, %zu x %zu weights need "
                           "%llu",
                           (unsigned long long)size, nf, L,
                           ((unsigned long long)nf * L + L) * 4 + 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (adopt && ((uintptr_t)(wght + 8) & 3) == 0)
                inplace = (float *)(void *)(wght + 8);
#endif
        weights = inplace ? inplace
                          : wt_alloc_large(nf * L * sizeof(*m->weights));
        if (!weights)
                return BAD(WT_ERR_NOMEM, "out of memory (%zu weights)",
                           nf * L);
        for (i = 0; i < nf * L + L; i++) {
                float w = wt_rdf32(wght + 8 + i * 4);
                if (!isfinite(w)) {
                        if (!inplace)
                                free(weights);
                        return BAD(WT_ERR_MODEL_CORRUPT,
                                   "WGHT section: weight %zu is not finite",
                                   i);
                }
                if (i >= nf * L)
                        m->bias[i - nf * L] = w;
                else if (!inplace)
                        weights[i] = w;
        }
        m->weights = weights;
        if (inplace) {
                m->file_buf = adopt;
                *adopted = 1;
        }
        return WT_OK;
}

/* The loader. With adopt set (wt_model_load(): a buffer it allocated
 * and will not touch again), the model may keep the buffer and use the
 * file's weights where they lie instead of copying them: *adopted says
 * whether it did. Why: for a 40 MB model the copy was a second 40 MB to
 * allocate, fault in and fill, a third of the load. */
static wt_err_t wt_model_load_impl(const void *vbuf, size_t len,
                                   void *adopt, int *adopted,
                                   wt_model_t **modelp, char *errstr,
                                   size_t errstr_size) {
        const unsigned char *buf = vbuf;
        wt_sections_t sec;
        wt_model_t *m = NULL;
        wt_err_t err;
        size_t nf = 0;

        *modelp = NULL;
        if ((err = wt_model_check_header(buf, len, errstr, errstr_size)) ||
            (err = wt_model_find_sections(buf, len, &sec, errstr,
                                          errstr_size)) ||
            (err = wt_conf_from_json(&m, (const char *)sec.conf,
                                     (size_t)sec.size_conf, errstr,
                                     errstr_size)))
                return err;
        if (sec.meta) {
                json_error_t jerr;
                json_t *meta = json_loadb((const char *)sec.meta,
                                          (size_t)sec.size_meta, 0, &jerr);
                if (!meta || !json_is_object(meta)) {
                        json_decref(meta);
                        err = BAD(WT_ERR_MODEL_CORRUPT,
                                  "META section is not a JSON object");
                        goto fail;
                }
                json_decref(m->meta);
                m->meta = meta;
        }
        if ((err = wt_model_read_vocab(m, sec.vocb, sec.size_vocb, &nf,
                                       errstr, errstr_size)) ||
            (err = wt_model_read_weights(m, sec.wght, sec.size_wght, nf,
                                         adopt, adopted, errstr,
                                         errstr_size)))
                goto fail;
        wt_model_set_id(m, buf, len); /* the checksum checked above */
        *modelp = m;
        return WT_OK;
fail:
        wt_model_destroy(m);
        return err;
}

wt_err_t wt_model_load_buffer(const void *vbuf, size_t len,
                              wt_model_t **modelp, char *errstr,
                              size_t errstr_size) {
        int adopted = 0;
        return wt_model_load_impl(vbuf, len, NULL, &adopted, modelp, errstr,
                                  errstr_size);
}

wt_err_t wt_model_load(const char *path, wt_model_t **modelp, char *errstr,
                       size_t errstr_size) {
        FILE *fp;
        unsigned char *buf = NULL;
        size_t len = 0, cap = 0, n;
        wt_err_t err;
        char inner[512];

        *modelp = NULL;
        if (!(fp = fopen(path, "rb")))
                return BAD(WT_ERR_IO, "%s: %s", path, strerror(errno));
        /* Sized from fstat, so a 40 MB model is read into one buffer
         * at once instead of being copied through a dozen doublings; the
         * loop still copes with a file that grows meanwhile (one extra
         * byte of room tells EOF from a full buffer). */
        {
                struct stat st;
                if (fstat(fileno(fp), &st) == 0 && st.st_size > 0 &&
                    (uint64_t)st.st_size < SIZE_MAX / 2) {
                        cap = (size_t)st.st_size + 1;
                        if (!(buf = wt_alloc_large(cap))) {
                                fclose(fp);
                                return BAD(WT_ERR_NOMEM,
                                           "%s: out of memory", path);
                        }
                }
        }
        do {
                if (len == cap) {
                        unsigned char *nb;
                        cap = cap ? cap * 2 : 1 << 16;
                        if (!(nb = realloc(buf, cap))) {
                                free(buf);
                                fclose(fp);
                                return BAD(WT_ERR_NOMEM, "%s: out of memory",
                                           path);
                        }
                        buf = nb;
                }
                n = fread(buf + len, 1, cap - len, fp);
                len += n;
        } while (n > 0);
        if (ferror(fp)) {
                err = BAD(WT_ERR_IO, "%s: read error: %s", path,
                          strerror(errno));
                fclose(fp);
                free(buf);
                return err;
        }
        fclose(fp);
        {
                int adopted = 0;
                err = wt_model_load_impl(buf, len, buf, &adopted, modelp,
                                         inner, sizeof(inner));
                if (!adopted)
                        free(buf);
        }
        if (err)
                return BAD(err, "%s: %s", path, inner);
        return WT_OK;
}
