/*
 * wiretag - wt_features.c: hashing, counting and vectorising text.
 *
 * See wt_features.h for the three steps and the hashing scheme.
 */
#include "wt_features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* GCC at -O3 sees XXH3's 17-128 byte path inlined for our 16-32 byte
 * n-gram buffers and warns of reads it cannot prove unreachable
 * (-Warray-bounds). The length is at most 8 * WT_NGRAM_MAX = 32 bytes, so
 * those branches never run; silence the false positive for this header
 * only. */
#define XXH_INLINE_ALL
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
#include <xxhash.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "wt_port.h"
#include "wt_tokenizer.h"
#include "wt_tokenizer_int.h"

#define WT_SIGN_BIT 0x80000000u

struct wt_fscratch_s {
        uint32_t *ids;          /* bucket, | WT_SIGN_BIT when negative */
        size_t nids, ids_cap;
        size_t *sent;           /* sent[i]: first id of sentence i */
        size_t nsent, sent_cap;
        size_t ntokens;

        uint32_t *tkeys;        /* counting table: bucket + 1, 0 = empty */
        uint32_t *tpos;         /* index into counts */
        size_t tcap;

        wt_bucket_count_t *counts;
        size_t counts_cap;

        /* wt_features_count_doc(): per document index, the sentence that
         * last saw it (+ 1) and its place in that sentence's counts; the
         * sentences' counts one after another, sentence i's from
         * soff[i]. */
        uint32_t *dstamp, *dspos;
        size_t dcap;
        wt_bucket_count_t *scounts;
        size_t scounts_cap;
        size_t *soff;
        size_t soff_cap;

        wt_feature_t *feats;
        size_t feats_cap;

        /* With a vocabulary, ids are rows below nrows (0: buckets), and
         * wt_features_count_doc() counts through a direct map instead of
         * the table: rseen has a bit per row (all clear between calls),
         * rpos the row's index in counts while its bit is set. */
        size_t nrows;
        uint64_t *rseen;
        uint32_t *rpos;
        size_t rcap;
};

/* The vocabulary maps a bucket to its row with a rank bitmap: bit b of
 * the bitmap is set when bucket b has a row, and since rows are numbered
 * in bucket order, the row is the number of set bits before b. Each block
 * holds 64 buckets' bits and the rank of its first bucket side by side, so
 * a lookup is one cache line and one popcount, with no probing. For the
 * default 2^20 buckets the whole map is 256 KB: it stays in L2, which a
 * hash table of the same features (2 MB) does not. */
typedef struct wt_vblock {
        uint64_t bits;
        uint32_t rank;  /* rows of the buckets before this block */
        uint32_t pad;
} wt_vblock_t;

/* 1 + ln(k) for the small counts most terms have: sublinear tf without a
 * logf call per feature. Filled with logf itself, so values are equal. */
#define WT_LOGTF_TABLE 64

struct wt_vocab_s {
        size_t n;
        uint32_t *buckets;      /* sorted, unique */
        float *idf;
        wt_vblock_t *blocks;
        size_t nblocks;         /* covers buckets [0, 64 * nblocks) */
        float logtf[WT_LOGTF_TABLE];
};

/* Row of bucket, or -1. */
static WT_INLINE int64_t wt_vocab_row(const wt_vocab_t *vocab,
                                      uint32_t bucket) {
        const wt_vblock_t *blk;
        uint64_t bit;
        if (WT_UNLIKELY((size_t)(bucket >> 6) >= vocab->nblocks))
                return -1;
        blk = &vocab->blocks[bucket >> 6];
        bit = 1ull << (bucket & 63);
        if (!(blk->bits & bit))
                return -1;
        return (int64_t)blk->rank + __builtin_popcountll(blk->bits &
                                                         (bit - 1));
}

void wt_feature_conf_default(wt_feature_conf_t *conf) {
        memset(conf, 0, sizeof(*conf));
        conf->tok_flags = WT_TOK_FOLD_CASE;
        conf->ngram_max = 2;
        conf->bits = 20;
        conf->seed = 0x77697265746167ull; /* "wiretag" */
        conf->signed_hash = 0;
        conf->tf = WT_TF_LOG;
        conf->idf = 1;
        conf->l2norm = 1;
        conf->nfields = 2;
        strcpy(conf->fields[0], "title");
        strcpy(conf->fields[1], "text");
}

wt_err_t wt_feature_conf_check(const wt_feature_conf_t *conf, char *errstr,
                               size_t errstr_size) {
        unsigned i;
        if (conf->tok_flags & ~(WT_TOK_FOLD_CASE | WT_TOK_FOLD_DIGITS))
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "unknown tokenizer flags 0x%x",
                                 conf->tok_flags);
        if (conf->ngram_max < 1 || conf->ngram_max > WT_NGRAM_MAX)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "ngrams must be 1..%d, not %u", WT_NGRAM_MAX,
                                 conf->ngram_max);
        if (conf->bits < WT_BITS_MIN || conf->bits > WT_BITS_MAX)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "bits must be %d..%d, not %u", WT_BITS_MIN,
                                 WT_BITS_MAX, conf->bits);
        if ((unsigned)conf->tf > WT_TF_BINARY)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "unknown tf weighting %d", (int)conf->tf);
        if (conf->nfields < 1 || conf->nfields > WT_FIELDS_MAX)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "1..%d text fields needed, not %u",
                                 WT_FIELDS_MAX, conf->nfields);
        for (i = 0; i < conf->nfields; i++) {
                size_t len = strnlen(conf->fields[i], WT_FIELD_NAME_MAX);
                if (len == 0 || len == WT_FIELD_NAME_MAX)
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG,
                                         "text field %u: name empty or "
                                         "longer than %d bytes",
                                         i + 1, WT_FIELD_NAME_MAX - 1);
        }
        return WT_OK;
}

wt_err_t wt_feature_conf_set_fields(wt_feature_conf_t *conf,
                                    const char *list, char *errstr,
                                    size_t errstr_size) {
        wt_feature_conf_t tmp = *conf; /* conf is untouched on error */
        unsigned n = 0;
        const char *p = list;
        while (1) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                if (len == 0)
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG,
                                         "empty field name in \"%s\"", list);
                if (len >= WT_FIELD_NAME_MAX)
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG,
                                         "field name too long in \"%s\"",
                                         list);
                if (n == WT_FIELDS_MAX)
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG,
                                         "at most %d fields in \"%s\"",
                                         WT_FIELDS_MAX, list);
                memcpy(tmp.fields[n], p, len);
                tmp.fields[n][len] = '\0';
                n++;
                if (!comma)
                        break;
                p = comma + 1;
        }
        tmp.nfields = n;
        *conf = tmp;
        return WT_OK;
}

wt_fscratch_t *wt_fscratch_new(void) {
        return calloc(1, sizeof(wt_fscratch_t));
}

void wt_fscratch_destroy(wt_fscratch_t *fs) {
        if (!fs)
                return;
        free(fs->ids);
        free(fs->sent);
        free(fs->tkeys);
        free(fs->tpos);
        free(fs->counts);
        free(fs->dstamp);
        free(fs->dspos);
        free(fs->scounts);
        free(fs->soff);
        free(fs->feats);
        free(fs->rseen);
        free(fs->rpos);
        free(fs);
}

/* Grow *bufp to hold at least `need` elements of `size` bytes. Growth is
 * geometric, so a warm scratch stops allocating once it has seen the
 * largest document. */
static int wt_grow(void **bufp, size_t *capp, size_t need, size_t size) {
        size_t cap = *capp ? *capp : 256;
        void *p;
        if (need <= *capp)
                return 0;
        while (cap < need)
                cap *= 2;
        p = realloc(*bufp, cap * size);
        if (!p)
                return -1;
        *bufp = p;
        *capp = cap;
        return 0;
}

static int wt_push_sentence(wt_fscratch_t *fs) {
        if (fs->nsent + 2 > fs->sent_cap &&
            wt_grow((void **)&fs->sent, &fs->sent_cap, fs->nsent + 2,
                    sizeof(*fs->sent)))
                return -1;
        fs->sent[fs->nsent++] = fs->nids;
        return 0;
}

/* Hash of the n-gram ending at hist[n-1]: XXH3-64 over the token hashes,
 * seeded per order so a bigram never shares a hash with a unigram. */
static WT_INLINE uint64_t wt_ngram_hash(const uint64_t *hist, unsigned n,
                                        uint64_t seed) {
        return XXH3_64bits_withSeed(hist, n * sizeof(uint64_t), seed + n);
}

/* The id array while hashing, held in locals: stored through fs, every
 * id written (a uint32_t store, which may alias any unsigned field) made
 * the compiler reload the configuration, the vocabulary and fs itself
 * before the next one. */
typedef struct wt_idbuf {
        uint32_t *ids;
        size_t n, cap;
} wt_idbuf_t;

static int wt_idbuf_grow(wt_idbuf_t *ib) {
        return wt_grow((void **)&ib->ids, &ib->cap, ib->n + 1,
                       sizeof(*ib->ids));
}

/* Append the id of hash h: its bucket, or with a vocabulary (blocks) its
 * row, as wt_vocab_row() finds it, and nothing when the vocabulary lacks
 * the bucket. Everything it reads is passed in, for the reason above. */
static WT_INLINE int wt_idbuf_push(wt_idbuf_t *ib, uint64_t h,
                                   unsigned shift, int signed_hash,
                                   const wt_vblock_t *blocks,
                                   size_t nblocks) {
        uint32_t id = (uint32_t)(h >> shift);
        size_t keep = 1;
        if (blocks) {
                /* Whether the vocabulary has the bucket is a coin toss
                 * for bigrams: the id is stored either way and kept by
                 * advancing n or not, so no branch mispredicts on it. */
                const size_t b = id >> 6;
                uint64_t w, bit;
                if (WT_UNLIKELY(b >= nblocks))
                        return 0;
                w = blocks[b].bits;
                bit = 1ull << (id & 63);
                keep = (w & bit) != 0;
                id = blocks[b].rank +
                     (uint32_t)__builtin_popcountll(w & (bit - 1));
        }
        if (signed_hash && (h & 1))
                id |= WT_SIGN_BIT;
        if (WT_UNLIKELY(ib->n == ib->cap) && wt_idbuf_grow(ib))
                return -1;
        ib->ids[ib->n] = id;
        ib->n += keep;
        return 0;
}

static WT_INLINE wt_err_t wt_hash_segments(const wt_feature_conf_t *conf,
                                           const wt_vocab_t *vocab,
                                           const wt_segments_t *segs,
                                           wt_fscratch_t *fs) {
        const unsigned nmax = conf->ngram_max;
        const unsigned shift = 64 - conf->bits;
        const int sgn = conf->signed_hash;
        const uint64_t seed = conf->seed;
        const unsigned tok_flags = conf->tok_flags;
        const wt_vblock_t *const blocks = vocab ? vocab->blocks : NULL;
        const size_t nblocks = vocab ? vocab->nblocks : 0;
        wt_idbuf_t ib = {fs->ids, 0, fs->ids_cap};
        size_t ntokens = 0;
        wt_err_t err = WT_ERR_NOMEM;
        unsigned s;

        fs->nsent = 0;
        fs->nrows = vocab ? vocab->n : 0;

        /* The text may not be in cache (a corpus held in memory, a
         * message another thread received): ask for its first lines all
         * at once rather than missing on each in turn as the tokenizer
         * reaches it, until the hardware prefetcher has seen the stream. */
        for (s = 0; s < segs->n; s++) {
                size_t off, lim = segs->len[s] < 2048 ? segs->len[s] : 2048;
                for (off = 0; off < lim; off += 64)
                        WT_PREFETCH(segs->text[s] + off);
        }

        for (s = 0; s < segs->n; s++) {
                wt_tokenizer_t tk;
                wt_token_t tok;
                uint64_t hist[WT_NGRAM_MAX];
                unsigned have = 0; /* tokens in hist for this sentence */

                wt_tokenizer_init(&tk, segs->text[s], segs->len[s],
                                  tok_flags);
                while (wt_tokenizer_next_inline(&tk, &tok)) {
                        uint64_t h = XXH3_64bits_withSeed(tok.text, tok.len,
                                                          seed);
                        unsigned n;

                        if (tok.sentence_start) {
                                /* The tokenizer marks the first token of
                                 * every segment, so each segment starts a
                                 * sentence and n-grams never span two. */
                                fs->nids = ib.n;
                                if (wt_push_sentence(fs))
                                        goto done;
                                have = 0;
                        }
                        ntokens++;
                        if (wt_idbuf_push(&ib, h, shift, sgn, blocks,
                                          nblocks))
                                goto done;
                        if (nmax == 1)
                                continue;

                        if (nmax == 2) {
                                /* Bigrams, the default: the hashed length
                                 * is a constant, so XXH3 compiles to its
                                 * 16-byte path alone. */
                                hist[1] = h;
                                if (have &&
                                    wt_idbuf_push(&ib,
                                                  wt_ngram_hash(hist, 2,
                                                                seed),
                                                  shift, sgn, blocks,
                                                  nblocks))
                                        goto done;
                                hist[0] = h;
                                have = 1;
                                continue;
                        }
                        if (have == nmax) {
                                for (n = 1; n < nmax; n++)
                                        hist[n - 1] = hist[n];
                                have--;
                        }
                        hist[have++] = h;
                        for (n = 2; n <= have; n++)
                                if (wt_idbuf_push(
                                            &ib,
                                            wt_ngram_hash(hist + have - n, n,
                                                          seed),
                                            shift, sgn, blocks, nblocks))
                                        goto done;
                }
        }
        if (fs->nsent)
                fs->sent[fs->nsent] = ib.n; /* sentinel */
        err = WT_OK;
done:
        fs->ids = ib.ids;
        fs->ids_cap = ib.cap;
        fs->nids = ib.n;
        fs->ntokens = ntokens;
        return err;
}

wt_err_t wt_features_hash(const wt_feature_conf_t *conf,
                          const wt_segments_t *segs, wt_fscratch_t *fs) {
        return wt_hash_segments(conf, NULL, segs, fs);
}

wt_err_t wt_features_hash_rows(const wt_feature_conf_t *conf,
                               const wt_vocab_t *vocab,
                               const wt_segments_t *segs, wt_fscratch_t *fs) {
        return wt_hash_segments(conf, vocab, segs, fs);
}

size_t wt_features_nsentences(const wt_fscratch_t *fs) {
        return fs->nsent;
}

size_t wt_features_ntokens(const wt_fscratch_t *fs) {
        return fs->ntokens;
}

/* The counting table's size for n ids (open addressing at load <= 0.5,
 * a power of two), its storage grown to it if need be (never shrunk, so a
 * warm scratch allocates nothing); 0 when out of memory. */
static size_t wt_count_table_reserve(wt_fscratch_t *fs, size_t n) {
        size_t cap = 64;
        while (cap < 2 * n)
                cap *= 2;
        if (cap <= fs->tcap)
                return cap;
        free(fs->tkeys);
        free(fs->tpos);
        fs->tkeys = malloc(cap * sizeof(*fs->tkeys));
        fs->tpos = malloc(cap * sizeof(*fs->tpos));
        if (!fs->tkeys || !fs->tpos) {
                free(fs->tkeys);
                free(fs->tpos);
                fs->tkeys = fs->tpos = NULL;
                fs->tcap = 0;
                return 0;
        }
        fs->tcap = cap;
        return cap;
}

/* The counting table's entry for bucket (table of mask + 1 slots): 1 and
 * its index in counts in *d when seen before, else 0 with the bucket
 * entered as index n (*d = n). */
static WT_INLINE int wt_table_find_or_add(wt_fscratch_t *fs, uint32_t mask,
                                          uint32_t bucket, uint32_t n,
                                          uint32_t *d) {
        const uint32_t key = bucket + 1;
        uint32_t slot = (bucket * 0x9E3779B1u) & mask;
        while (fs->tkeys[slot] && fs->tkeys[slot] != key)
                slot = (slot + 1) & mask;
        if (fs->tkeys[slot]) {
                *d = fs->tpos[slot];
                return 1;
        }
        fs->tkeys[slot] = key;
        fs->tpos[slot] = *d = n;
        return 0;
}

wt_err_t wt_features_count(const wt_feature_conf_t *conf, wt_fscratch_t *fs,
                           size_t first, size_t last,
                           const wt_bucket_count_t **countsp,
                           size_t *ncountsp) {
        size_t lo, hi, i, cap, n = 0;
        uint32_t mask;
        (void)conf;

        *countsp = fs->counts;
        *ncountsp = 0;
        if (first >= last || last > fs->nsent)
                return WT_OK;
        lo = fs->sent[first];
        hi = fs->sent[last];

        /* Open addressing at load <= 0.5; bucket bits are hash bits, so
         * their low bits index the table directly. */
        if (!(cap = wt_count_table_reserve(fs, hi - lo)))
                return WT_ERR_NOMEM;
        if (wt_grow((void **)&fs->counts, &fs->counts_cap, hi - lo,
                    sizeof(*fs->counts)))
                return WT_ERR_NOMEM;
        memset(fs->tkeys, 0, cap * sizeof(*fs->tkeys));
        mask = (uint32_t)(cap - 1);

        for (i = lo; i < hi; i++) {
                uint32_t id = fs->ids[i];
                uint32_t bucket = id & ~WT_SIGN_BIT;
                float v = (id & WT_SIGN_BIT) ? -1.0f : 1.0f;
                uint32_t d;

                if (wt_table_find_or_add(fs, mask, bucket, (uint32_t)n, &d)) {
                        fs->counts[d].tf += v;
                } else {
                        fs->counts[n].bucket = bucket;
                        fs->counts[n].tf = v;
                        n++;
                }
        }
        *countsp = fs->counts;
        *ncountsp = n;
        return WT_OK;
}

/* Why one pass: a model with sentence-pooled labels scores the document
 * and then every sentence, and counting each range on its own hashed
 * every id twice and cleared a table per sentence. Here each id is looked
 * up once, in the document's table, which gives its document index d
 * (ids are numbered by first sighting in the document). A sentence's
 * counts are then keyed by d, a dense small number, so no second hash
 * table is needed: dstamp[d] says whether the current sentence has seen
 * d yet, and dspos[d] where its count is. Stamps are sentence numbers
 * + 1, so nothing is cleared between sentences.
 *
 * The document's table: with a vocabulary (ids are rows, a few hundred
 * thousand at most), a direct map of one bit per row, which the L1 cache
 * holds for the default model, and the row's index beside it; it needs
 * no hashing, no probing and no clearing of a table sized to the
 * document, only of the bits it set. Without one (ids are buckets of up
 * to 2^bits), the open-addressing table of wt_features_count(). */

/* Sentence i's count of document index d (stamp = i + 1). */
static WT_INLINE void wt_count_sentence(wt_fscratch_t *fs, uint32_t d,
                                        uint32_t stamp, uint32_t bucket,
                                        float v, size_t *ns) {
        if (fs->dstamp[d] == stamp) {
                fs->scounts[fs->dspos[d]].tf += v;
        } else {
                fs->dstamp[d] = stamp;
                fs->dspos[d] = (uint32_t)*ns;
                fs->scounts[*ns].bucket = bucket;
                fs->scounts[*ns].tf = v;
                (*ns)++;
        }
}

/* The direct map for nrows rows, grown if need be (never shrunk); -1 when
 * out of memory. New bits are clear; set ones are cleared after use. */
static int wt_row_map_reserve(wt_fscratch_t *fs, size_t nrows) {
        uint64_t *seen;
        uint32_t *pos;
        size_t cap = fs->rcap ? fs->rcap : 4096;
        if (nrows <= fs->rcap)
                return 0;
        while (cap < nrows)
                cap *= 2;
        seen = calloc(cap / 64, sizeof(*seen));
        pos = calloc(cap, sizeof(*pos)); /* see wt_count_rows_doc() */
        if (!seen || !pos) {
                free(seen);
                free(pos);
                return -1;
        }
        free(fs->rseen);
        free(fs->rpos);
        fs->rseen = seen;
        fs->rpos = pos;
        fs->rcap = cap;
        return 0;
}

/* wt_table_find_or_add() through the direct map of rows. */
static WT_INLINE int wt_row_find_or_add(wt_fscratch_t *fs, uint32_t row,
                                        uint32_t n, uint32_t *d) {
        uint64_t *w = &fs->rseen[row >> 6];
        const uint64_t bit = 1ull << (row & 63);
        if (*w & bit) {
                *d = fs->rpos[row];
                return 1;
        }
        *w |= bit;
        fs->rpos[row] = *d = n;
        return 0;
}

/* Counting with a branch on seen-or-new: through the direct map of rows
 * (direct) or the table of mask + 1 slots, and per sentence too when
 * asked. Returns the document's count of distinct ids, *nsp the
 * sentences' counts all told. */
static WT_INLINE size_t wt_count_ids(wt_fscratch_t *fs, int direct,
                                     uint32_t mask, int per_sentence,
                                     size_t *nsp) {
        size_t n = 0, ns = 0, s, i;

        for (s = 0; s < fs->nsent; s++) {
                const size_t hi = fs->sent[s + 1];
                const uint32_t stamp = (uint32_t)s + 1;
                if (per_sentence)
                        fs->soff[s] = ns;
                for (i = fs->sent[s]; i < hi; i++) {
                        uint32_t id = fs->ids[i];
                        uint32_t bucket = id & ~WT_SIGN_BIT;
                        float v = (id & WT_SIGN_BIT) ? -1.0f : 1.0f;
                        uint32_t d;
                        const int seen =
                                direct ? wt_row_find_or_add(fs, bucket,
                                                            (uint32_t)n, &d)
                                       : wt_table_find_or_add(
                                                 fs, mask, bucket,
                                                 (uint32_t)n, &d);
                        if (seen) {
                                fs->counts[d].tf += v;
                        } else {
                                n++;
                                fs->counts[d].bucket = bucket;
                                fs->counts[d].tf = v;
                                if (per_sentence)
                                        fs->dstamp[d] = 0;
                        }
                        if (per_sentence)
                                wt_count_sentence(fs, d, stamp, bucket, v,
                                                  &ns);
                }
        }
        *nsp = ns;
        return n;
}

/* The document's counts through the direct map when no sentence counts
 * are wanted (models that score whole articles, the default among them),
 * with no branch on whether a row was seen before: for bigrams that is a
 * coin toss. Every id takes the same steps: its index d is chosen with
 * masks between rpos[row] and the next free one (written as a `?:`, GCC
 * branches around the load), and its count added to counts[d], the free
 * slot's count having been zeroed ahead (counts holds nids + 1). rpos is
 * read before it is known to be set and the value dropped when not, so
 * it is allocated zeroed. The same counts in the same order as
 * wt_count_ids(), which keeps the sentence counts: there the extra steps
 * per id cost what the branch saved. */
static size_t wt_count_rows_doc(wt_fscratch_t *fs, size_t nids) {
        const uint32_t *restrict ids = fs->ids;
        uint64_t *restrict seenbits = fs->rseen;
        uint32_t *restrict rpos = fs->rpos;
        wt_bucket_count_t *restrict counts = fs->counts;
        uint32_t n = 0;
        size_t i;

        counts[0].tf = 0.0f;
        for (i = 0; i < nids; i++) {
                const uint32_t id = ids[i];
                const uint32_t row = id & ~WT_SIGN_BIT;
                const float v = (id & WT_SIGN_BIT) ? -1.0f : 1.0f;
                const uint64_t w = seenbits[row >> 6];
                const uint64_t bit = 1ull << (row & 63);
                const uint32_t seen = (w & bit) != 0;
                const uint32_t d = n ^ ((n ^ rpos[row]) & -seen);

                seenbits[row >> 6] = w | bit;
                rpos[row] = d;
                counts[d].bucket = row;
                counts[d].tf += v;
                n += seen ^ 1u;
                counts[n].tf = 0.0f;
        }
        return n;
}

/* Rows are this many at most for the direct map (2 MB of bits and 64 MB
 * of indexes: a vocabulary larger than any 2^24-bucket model). */
#define WT_ROW_MAP_MAX ((size_t)1 << 24)

wt_err_t wt_features_count_doc(const wt_feature_conf_t *conf,
                               wt_fscratch_t *fs, int per_sentence,
                               const wt_bucket_count_t **countsp,
                               size_t *ncountsp) {
        size_t nids, i, cap = 0, n, ns = 0;
        const int direct = fs->nrows > 0 && fs->nrows <= WT_ROW_MAP_MAX;
        uint32_t mask = 0;
        (void)conf;

        *countsp = fs->counts;
        *ncountsp = 0;
        if (fs->nsent == 0)
                return WT_OK;
        nids = fs->sent[fs->nsent];

        if (direct ? wt_row_map_reserve(fs, fs->nrows) != 0
                   : !(cap = wt_count_table_reserve(fs, nids)))
                return WT_ERR_NOMEM;
        if (wt_grow((void **)&fs->counts, &fs->counts_cap, nids + 1,
                    sizeof(*fs->counts)))
                return WT_ERR_NOMEM;
        if (per_sentence &&
            (wt_grow((void **)&fs->scounts, &fs->scounts_cap,
                     nids ? nids : 1, sizeof(*fs->scounts)) ||
             wt_grow((void **)&fs->soff, &fs->soff_cap, fs->nsent + 1,
                     sizeof(*fs->soff))))
                return WT_ERR_NOMEM;
        if (per_sentence && nids > fs->dcap) {
                size_t dcap = fs->dcap ? fs->dcap : 256;
                uint32_t *st, *sp;
                while (dcap < nids)
                        dcap *= 2;
                st = malloc(dcap * sizeof(*st));
                sp = malloc(dcap * sizeof(*sp));
                if (!st || !sp) {
                        free(st);
                        free(sp);
                        return WT_ERR_NOMEM;
                }
                free(fs->dstamp);
                free(fs->dspos);
                fs->dstamp = st;
                fs->dspos = sp;
                fs->dcap = dcap;
        }
        if (!direct) {
                memset(fs->tkeys, 0, cap * sizeof(*fs->tkeys));
                mask = (uint32_t)(cap - 1);
        }

        if (direct && !per_sentence)
                n = wt_count_rows_doc(fs, nids);
        else
                n = wt_count_ids(fs, direct, mask, per_sentence, &ns);
        if (direct) /* leave the map clear for the next document */
                for (i = 0; i < n; i++)
                        fs->rseen[fs->counts[i].bucket >> 6] = 0;
        if (per_sentence)
                fs->soff[fs->nsent] = ns;
        *countsp = fs->counts;
        *ncountsp = n;
        return WT_OK;
}

void wt_features_sentence_counts(const wt_fscratch_t *fs, size_t i,
                                 const wt_bucket_count_t **countsp,
                                 size_t *ncountsp) {
        *countsp = fs->scounts + fs->soff[i];
        *ncountsp = fs->soff[i + 1] - fs->soff[i];
}

wt_err_t wt_vocab_new(const uint32_t *buckets, const float *idf, size_t n,
                      wt_vocab_t **vocabp) {
        wt_vocab_t *vocab;
        size_t i, b;

        *vocabp = NULL;
        if (n >= UINT32_MAX / 4)
                return WT_ERR_INVALID_ARG;
        for (i = 1; i < n; i++)
                if (buckets[i] <= buckets[i - 1])
                        return WT_ERR_INVALID_ARG;
        vocab = calloc(1, sizeof(*vocab));
        if (!vocab)
                return WT_ERR_NOMEM;
        vocab->n = n;
        vocab->nblocks = n ? (size_t)(buckets[n - 1] >> 6) + 1 : 1;
        vocab->buckets = malloc((n ? n : 1) * sizeof(*vocab->buckets));
        vocab->idf = malloc((n ? n : 1) * sizeof(*vocab->idf));
        vocab->blocks = calloc(vocab->nblocks, sizeof(*vocab->blocks));
        if (!vocab->buckets || !vocab->idf || !vocab->blocks) {
                wt_vocab_destroy(vocab);
                return WT_ERR_NOMEM;
        }
        for (i = 0; i < n; i++) {
                vocab->buckets[i] = buckets[i];
                vocab->idf[i] = idf ? idf[i] : 1.0f;
                vocab->blocks[buckets[i] >> 6].bits |= 1ull
                                                      << (buckets[i] & 63);
        }
        for (b = 0, i = 0; b < vocab->nblocks; b++) {
                vocab->blocks[b].rank = (uint32_t)i;
                i += (size_t)__builtin_popcountll(vocab->blocks[b].bits);
        }
        vocab->logtf[0] = 0.0f;
        for (i = 1; i < WT_LOGTF_TABLE; i++)
                vocab->logtf[i] = 1.0f + logf((float)i);
        *vocabp = vocab;
        return WT_OK;
}

void wt_vocab_destroy(wt_vocab_t *vocab) {
        if (!vocab)
                return;
        free(vocab->buckets);
        free(vocab->idf);
        free(vocab->blocks);
        free(vocab);
}

size_t wt_vocab_size(const wt_vocab_t *vocab) {
        return vocab->n;
}

const uint32_t *wt_vocab_buckets(const wt_vocab_t *vocab) {
        return vocab->buckets;
}

const float *wt_vocab_idf(const wt_vocab_t *vocab) {
        return vocab->idf;
}

int64_t wt_vocab_lookup(const wt_vocab_t *vocab, uint32_t bucket) {
        return wt_vocab_row(vocab, bucket);
}

/* Step 3 for counts keyed by bucket (rows_known = 0: look each up) or by
 * row (rows_known = 1: wt_features_hash_rows() already mapped them). */
static WT_INLINE wt_err_t
wt_vectorize(const wt_feature_conf_t *conf, const wt_vocab_t *vocab,
             wt_fscratch_t *fs, const wt_bucket_count_t *counts,
             size_t ncounts, const wt_feature_t **featsp, size_t *nfeatsp,
             int rows_known) {
        size_t i, n = 0;
        double sumsq = 0.0;

        if (wt_grow((void **)&fs->feats, &fs->feats_cap, ncounts ? ncounts : 1,
                    sizeof(*fs->feats)))
                return WT_ERR_NOMEM;

        if (rows_known && conf->tf == WT_TF_LOG && conf->idf) {
                /* wiretag's default weighting, on classification's path:
                 * the loop below with its tests decided once. Same
                 * operations in the same order, so the same values. */
                const float *restrict idf = vocab->idf;
                const float *restrict logtf = vocab->logtf;
                wt_feature_t *restrict out = fs->feats;
                for (i = 0; i < ncounts; i++) {
                        const uint32_t row = counts[i].bucket;
                        const float tf = counts[i].tf;
                        float mag, v;
                        if (tf == 0.0f)
                                continue;
                        mag = fabsf(tf);
                        mag = WT_LIKELY(mag < (float)WT_LOGTF_TABLE)
                                      ? logtf[(unsigned)mag]
                                      : 1.0f + logf(mag);
                        v = (tf < 0 ? -mag : mag) * idf[row];
                        out[n].row = row;
                        out[n].value = v;
                        sumsq += (double)v * v;
                        n++;
                }
                goto norm;
        }

        for (i = 0; i < ncounts; i++) {
                int64_t row = rows_known ? (int64_t)counts[i].bucket
                                         : wt_vocab_row(vocab,
                                                        counts[i].bucket);
                float tf = counts[i].tf, mag, v;
                if (row < 0 || tf == 0.0f)
                        continue;
                mag = fabsf(tf);
                switch (conf->tf) {
                case WT_TF_LOG:
                        /* Counts are whole numbers: small ones from the
                         * table, equal to 1 + logf(mag). */
                        mag = mag < (float)WT_LOGTF_TABLE
                                      ? vocab->logtf[(unsigned)mag]
                                      : 1.0f + logf(mag);
                        break;
                case WT_TF_BINARY:
                        mag = 1.0f;
                        break;
                case WT_TF_RAW:
                        break;
                }
                v = tf < 0 ? -mag : mag;
                if (conf->idf)
                        v *= vocab->idf[row];
                fs->feats[n].row = (uint32_t)row;
                fs->feats[n].value = v;
                sumsq += (double)v * v;
                n++;
        }
norm:
        if (conf->l2norm && sumsq > 0.0) {
                float inv = (float)(1.0 / sqrt(sumsq));
                for (i = 0; i < n; i++)
                        fs->feats[i].value *= inv;
        }
        *featsp = fs->feats;
        *nfeatsp = n;
        return WT_OK;
}

wt_err_t wt_vocab_vectorize(const wt_feature_conf_t *conf,
                            const wt_vocab_t *vocab, wt_fscratch_t *fs,
                            const wt_bucket_count_t *counts, size_t ncounts,
                            const wt_feature_t **featsp, size_t *nfeatsp) {
        return wt_vectorize(conf, vocab, fs, counts, ncounts, featsp, nfeatsp,
                            0);
}

wt_err_t wt_vocab_vectorize_rows(const wt_feature_conf_t *conf,
                                 const wt_vocab_t *vocab, wt_fscratch_t *fs,
                                 const wt_bucket_count_t *counts,
                                 size_t ncounts, const wt_feature_t **featsp,
                                 size_t *nfeatsp) {
        return wt_vectorize(conf, vocab, fs, counts, ncounts, featsp, nfeatsp,
                            1);
}

uint32_t wt_features_bucket_of(const wt_feature_conf_t *conf,
                               const char *const *tokens, const size_t *lens,
                               unsigned n, int *sign) {
        uint64_t hist[WT_NGRAM_MAX], h;
        unsigned i;
        for (i = 0; i < n && i < WT_NGRAM_MAX; i++)
                hist[i] = XXH3_64bits_withSeed(tokens[i], lens[i], conf->seed);
        h = n == 1 ? hist[0] : wt_ngram_hash(hist, n, conf->seed);
        *sign = (conf->signed_hash && (h & 1)) ? -1 : 1;
        return (uint32_t)(h >> (64 - conf->bits));
}
