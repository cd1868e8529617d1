/*
 * obol benchmark: settlement of one million transactions on the platform.
 *
 * Before the clock starts: a fresh platform database (WAL, synchronous=NORMAL) in a
 * temporary directory, 100,000 issued cards (keys from the HSM), 150 terminals of two
 * operators, and 1,000,000 transaction records — 90 % purchases, 10 % loads, over
 * seven days — each with a valid TAC computed with host_crypto as the card would,
 * encoded into BATCH frames of 1,000 records per terminal.
 * Timed: every frame through host_settle_ingest() (frame check, per-record checks,
 * TAC verification through the HSM, duplicate detection, one transaction per batch),
 * then host_settle_run() over the seven days. Figures:
 *   host.settle_1m_seconds     ingestion of all batches plus the settlement run
 *   host.settle_1m_db_bytes    database size afterwards (WAL checkpointed)
 *   host.ingest_records_per_sec
 *   host.reconcile_1m_seconds  the reconciliation report and the counter-gap check
 * OBOL_BENCH_SETTLE_N sets another record count (for quick runs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "obol/host_crypto.h"
#include "obol/host_db.h"
#include "obol/host_hsm.h"
#include "obol/host_issue.h"
#include "obol/host_proto.h"
#include "obol/host_settle.h"
#include "obol/host_term.h"

enum { NCARDS = 100000, NGATES = 100, NBUS = 40, NLOADERS = 10, BATCH = 1000, DAYS = 7 };
#define ISSUER    0x1000000031000000ull
#define FIRST_DAY 20261122u

static const uint8_t MPK[16] = "TEST-MPK-bench!";
static const uint8_t MLK[16] = "TEST-MLK-bench!";
static const uint8_t MTK[16] = "TEST-MTK-bench!";
static const uint8_t STORAGE_KEY[32] = "obol TEST storage key (bench)";

typedef struct card {
    uint64_t serial;
    uint8_t dtk[16];
    uint32_t balance;
    uint16_t offline, online;
} card;

typedef struct term {
    uint64_t id;
    uint32_t op;
    uint32_t ttn;
    uint32_t seq;
    host_txn buf[BATCH];
    size_t n;
} term;

typedef struct frame {
    uint8_t *p;
    size_t len;
    size_t records;
} frame;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "bench_settle: %s: %s\n", what, host_strerror(rc));
        exit(1);
    }
    return 0;
}

static void be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static frame *frames;
static size_t nframes, frames_cap;

static void flush(term *t)
{
    host_msg_batch b = {t->id, ++t->seq, 0, NULL};
    frame *f;

    if (t->n == 0)
        return;
    if (nframes == frames_cap) {
        frames_cap = frames_cap ? frames_cap * 2 : 1024;
        frames = realloc(frames, frames_cap * sizeof *frames);
        if (frames == NULL)
            check(HOST_ERR_NOMEM, "frames");
    }
    f = &frames[nframes++];
    f->records = t->n;
    f->p = malloc(host_proto_batch_size(t->n));
    if (f->p == NULL)
        check(HOST_ERR_NOMEM, "frame");
    check(host_proto_encode_batch(nframes, &b, t->buf, t->n, f->p, host_proto_batch_size(t->n),
                                  &f->len),
          "encode");
    t->n = 0;
}

/* Record I (in time order): a purchase on a gate or bus, or every tenth a load. */
static void make_record(size_t i, size_t n, card *cards, term *terms)
{
    card *c = &cards[(i * 7919u) % NCARDS];
    uint32_t day = FIRST_DAY + (uint32_t)(i * DAYS / n);
    uint32_t secs = (uint32_t)((i * 86400ull * DAYS / n) % 86400u);
    term *t;
    host_txn *x;

    if (i % 10 == 9)
        t = &terms[NGATES + NBUS + i % NLOADERS];
    else if (i % 3 == 0)
        t = &terms[NGATES + i % NBUS];
    else
        t = &terms[i % NGATES];
    x = &t->buf[t->n++];
    memset(x, 0, sizeof *x);
    x->serial = c->serial;
    x->terminal = t->id;
    x->ttn = ++t->ttn;
    x->operator_id = t->op;
    x->key_version = 1;
    host_date_bcd(day, x->date);
    host_time_bcd(secs / 3600 * 10000 + secs / 60 % 60 * 100 + secs % 60, x->time);
    x->balance_before = c->balance;
    if (i % 10 == 9) {
        host_pboc_load l;
        memset(&l, 0, sizeof l);
        x->type = HOST_PBOC_EP_LOAD;
        x->amount = 5000;
        x->counter = c->online++;
        l.old_balance = c->balance;
        l.amount = x->amount;
        l.online_counter = x->counter;
        l.type = x->type;
        be(l.terminal_id, t->id, 6);
        memcpy(l.date, x->date, 4);
        memcpy(l.time, x->time, 3);
        check(host_pboc_load_tac(c->dtk, &l, x->tac), "load TAC");
        c->balance += x->amount;
    } else {
        host_pboc_purchase p;
        memset(&p, 0, sizeof p);
        x->type = t->op == 1 ? HOST_PBOC_CAPP_PURCHASE : HOST_PBOC_EP_PURCHASE;
        x->amount = 200 + (uint32_t)(i % 4) * 100;
        if (x->amount > c->balance)
            x->amount = 0;
        x->counter = c->offline++;
        p.amount = x->amount;
        p.type = x->type;
        be(p.terminal_id, t->id, 6);
        p.ttn = x->ttn;
        memcpy(p.date, x->date, 4);
        memcpy(p.time, x->time, 3);
        check(host_pboc_purchase_tac(c->dtk, &p, x->tac), "purchase TAC");
        c->balance -= x->amount;
    }
    x->balance_after = c->balance;
    if (t->n == BATCH)
        flush(t);
}

int main(void)
{
    static term terms[NGATES + NBUS + NLOADERS];
    char dir[] = "/tmp/obol-bench-XXXXXX", path[96], p2[120];
    host_settlement rows[64];
    host_issue_req req;
    host_recon recon;
    host_hsm_stats st;
    host_db *db;
    host_hsm *hsm;
    card *cards;
    size_t n = 1000000, i, nrows, ngaps;
    const char *env = getenv("OBOL_BENCH_SETTLE_N");
    uint64_t bytes, accepted = 0;
    int64_t settled = 0;
    double t0, t1, t2, t3, c0, c1;

    if (env != NULL && atol(env) > 0)
        n = (size_t)atol(env);
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof path, "%s/platform.db", dir);
    {
        /* A 32 MiB page cache: the card table and the hot index pages stay in memory. */
        host_db_options opt = {NULL, 0, 0, 32768};
        check(host_db_open(path, &opt, &db), "open");
    }
    check(host_hsm_open(db, STORAGE_KEY, &hsm), "hsm");
    host_db_set_time(db, 1795336200);
    check(host_issuer_add(db, ISSUER, "TEST city", 0x31000001u), "issuer");
    {
        host_key_id id = {ISSUER, HOST_INDUSTRY_TRANSIT, HOST_KEY_PURCHASE, 1};
        check(host_hsm_key_import(hsm, &id, 1, "TEST bench MPK", MPK, NULL), "key");
        id.usage = HOST_KEY_LOAD;
        check(host_hsm_key_import(hsm, &id, 1, "TEST bench MLK", MLK, NULL), "key");
        id.usage = HOST_KEY_TAC;
        check(host_hsm_key_import(hsm, &id, 1, "TEST bench MTK", MTK, NULL), "key");
    }
    check(host_operator_add(db, 1, "TEST metro"), "operator");
    check(host_operator_add(db, 2, "TEST bus"), "operator");
    for (i = 0; i < NGATES + NBUS + NLOADERS; i++) {
        host_terminal t;
        memset(&t, 0, sizeof t);
        t.id = 0x110000000000ull + i;
        t.operator_id = i >= NGATES && i < NGATES + NBUS ? 2 : 1;
        t.kind = i < NGATES ? HOST_TERM_GATE : i < NGATES + NBUS ? HOST_TERM_BUS : HOST_TERM_LOAD;
        t.in_service = 1;
        check(host_terminal_add(db, &t), "terminal");
        terms[i].id = t.id;
        terms[i].op = t.operator_id;
    }
    cards = calloc(NCARDS, sizeof *cards);
    if (cards == NULL)
        return 1;
    memset(&req, 0, sizeof req);
    req.issuer = ISSUER;
    req.industry = HOST_INDUSTRY_TRANSIT;
    req.key_version = 1;
    req.initial_balance = 100000;
    req.expiry = 20301231;
    for (i = 0; i < NCARDS; i++) {
        host_perso p;
        check(host_issue_card(db, hsm, &req, &p), "issue");
        check(host_card_set_state(db, p.serial, HOST_CARD_ACTIVE, 0), "activate");
        cards[i].serial = p.serial;
        memcpy(cards[i].dtk, p.keys.dtk, 16);
        cards[i].balance = p.initial_balance;
        host_wipe(&p, sizeof p);
    }
    for (i = 0; i < n; i++)
        make_record(i, n, cards, terms);
    for (i = 0; i < NGATES + NBUS + NLOADERS; i++)
        flush(&terms[i]);

    t0 = now();
    c0 = cpu();
    for (i = 0; i < nframes; i++) {
        host_ingest_result r;
        check(host_settle_ingest(db, hsm, frames[i].p, frames[i].len, &r), "ingest");
        if (r.status != HOST_ACK_ACCEPTED || r.accepted != frames[i].records) {
            fprintf(stderr, "bench_settle: batch %zu: status %d, %u of %zu accepted\n", i, r.status,
                    (unsigned)r.accepted, frames[i].records);
            return 1;
        }
        accepted += r.accepted;
        host_ingest_result_free(&r);
    }
    t1 = now();
    c1 = cpu();
    check(host_settle_run(db, FIRST_DAY, FIRST_DAY + DAYS, rows, 64, &nrows), "settle");
    t2 = now();
    for (i = 0; i < nrows && i < 64; i++)
        settled += rows[i].purchases + rows[i].loads;
    check(host_settle_reconcile(db, &recon, NULL, 0, NULL), "reconcile");
    check(host_settle_gaps(db, NULL, 0, &ngaps), "gaps");
    t3 = now();
    check(host_db_checkpoint(db), "checkpoint");
    check(host_db_size(db, &bytes), "size");
    host_hsm_get_stats(hsm, &st);
    if (settled != (int64_t)n || accepted != n || recon.mismatches != 0 || ngaps != 0 ||
        st.tac_failed != 0 || st.tac_verified != n) {
        fprintf(stderr,
                "bench_settle: settled %lld of %zu, %lld mismatches, %zu gaps, %llu TACs "
                "failed\n",
                (long long)settled, n, (long long)recon.mismatches, ngaps,
                (unsigned long long)st.tac_failed);
        return 1;
    }
    printf("BENCH host.settle_1m_seconds %.2f s\n", t2 - t0);
    printf("BENCH host.settle_1m_db_bytes %llu bytes\n", (unsigned long long)bytes);
    printf("BENCH host.ingest_records_per_sec %.0f records/s\n", (double)n / (t1 - t0));
    printf("BENCH host.reconcile_1m_seconds %.2f s\n", t3 - t2);
    fprintf(stderr,
            "bench_settle: %zu records in %zu batches, %zu settlement rows, %llu TAC keys "
            "derived; ingestion used %.2f s of CPU\n",
            n, nframes, nrows, (unsigned long long)st.tac_key_derived, c1 - c0);

    host_hsm_close(hsm);
    host_db_close(db);
    for (i = 0; i < nframes; i++)
        free(frames[i].p);
    free(frames);
    free(cards);
    unlink(path);
    snprintf(p2, sizeof p2, "%s-wal", path);
    unlink(p2);
    snprintf(p2, sizeof p2, "%s-shm", path);
    unlink(p2);
    rmdir(dir);
    return 0;
}
