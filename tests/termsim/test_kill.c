/*
 * obol termsim tests: durability in real-reader mode. A child process runs metro taps
 * (an entry gate and an exit gate, each with its own PSAM, sharing a durable store;
 * cards and PSAMs are NVM image files) and reports every gate opening to the parent
 * through a pipe; the parent kill -9's it at a random moment, several times, then
 * presents every card to both gates once more (which resolves whatever a kill left
 * PENDING) and checks: every reported opening is in the journal exactly once and
 * complete, nothing is left pending, every TAC verifies, and each card's balance is
 * its initial balance less what the journal says it paid.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "obol/cos_profile.h"
#include "obol/obol_rom.h"
#include "tt.h"

enum { NCARDS = 6, ITERATIONS = 8, FUND = 100000, MAX_REPORTS = 4096 };

typedef struct report {
    uint64_t terminal;
    uint32_t ttn;
    uint32_t amount;
} report;

typedef struct world {
    char dir[64];
    char db[128];
    char card_img[NCARDS][128];
    char psam_img[2][128];
} world;

static const uint64_t PSAM_SERIAL[2] = {0x0000000000119001ull, 0x0000000000119002ull};

static uint64_t card_serial(int i)
{
    return 0x0000000100009000ull + (uint64_t)i;
}

/* ---- the child: no Criterion asserts, exit codes only ------------------------------- */

typedef struct child_card {
    cos_host host;
    cos_card card;
} child_card;

static int child_open(child_card *c, const char *img)
{
    cos_card_config cfg;

    if (cos_host_open_file(&c->host, img, 8192, 64, 1) != 0)
        return -1;
    cos_host_config(&c->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    return cos_card_attach(&c->card, &cfg);
}

static int report_fd = -1;

static void on_result(void *ctx, const term_result *r)
{
    report rep;

    (void)ctx;
    if (r->status != TERM_APPROVED)
        return;
    rep.terminal = *(const uint64_t *)ctx;
    rep.ttn = r->ttn;
    rep.amount = r->amount;
    /* One write of a few bytes to a pipe is atomic (PIPE_BUF). */
    if (write(report_fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
        _exit(4);
}

static void child(const world *w, unsigned seed)
{
    static child_card cards[NCARDS], psam[2];
    term_simreader card_rd[2], psam_rd[2];
    term_store_options o = {.mode = TERM_STORE_DURABLE};
    term_store *s;
    term *g[2];
    uint64_t ids[2];
    term_result r;
    int64_t now = TT_T0 + (int64_t)seed * TT_MIN(600);

    for (int i = 0; i < NCARDS; i++)
        if (child_open(&cards[i], w->card_img[i]) != 0)
            _exit(3);
    if (term_store_open(w->db, &o, &s) != 0)
        _exit(3);
    for (int k = 0; k < 2; k++) {
        term_config cfg = {.kind = k == 0 ? TERM_GATE_ENTRY : TERM_GATE_EXIT,
                           .station = k == 0 ? 101 : 104,
                           .operator_id = TT_METRO,
                           .utc_offset_min = TT_BEIJING,
                           .on_result = on_result};
        if (child_open(&psam[k], w->psam_img[k]) != 0)
            _exit(3);
        term_simreader_init(&card_rd[k], "card", TERM_IF_CONTACTLESS);
        term_simreader_init(&psam_rd[k], "psam", TERM_IF_CONTACT);
        term_simreader_insert(&psam_rd[k], &psam[k].card);
        cfg.card = &card_rd[k].base;
        cfg.psam = &psam_rd[k].base;
        cfg.store = s;
        ids[k] = 0x000000119001ull + (uint64_t)k;
        cfg.result_ctx = &ids[k];
        if (term_open(&cfg, now, &g[k]) != 0)
            _exit(3);
    }
    srand(seed);
    for (int i = 0; i < 100000; i++) {
        int c = rand() % NCARDS, k = rand() % 2;
        now += 1000000000;
        term_simreader_insert(&card_rd[k], &cards[c].card);
        (void)term_tap(g[k], now, &r);
        term_simreader_remove(&card_rd[k]);
    }
    _exit(0);
}

/* ---- the parent ---------------------------------------------------------------------- */

static void setup(world *w)
{
    term_store_options o = {.mode = TERM_STORE_DURABLE};
    term_config cfg = {.kind = TERM_GATE_ENTRY, .station = 101, .operator_id = TT_METRO};
    host_fare_table ft;
    term_store *s;
    tt_term gate;

    strcpy(w->dir, "/tmp/obol-term-kill-XXXXXX");
    cr_assert_not_null(mkdtemp(w->dir));
    snprintf(w->db, sizeof w->db, "%s/term.db", w->dir);
    for (int i = 0; i < NCARDS; i++) {
        tt_card c;
        snprintf(w->card_img[i], sizeof w->card_img[i], "%s/card%d.nvm", w->dir, i);
        tt_card_open(&c, "transit-card", card_serial(i), w->card_img[i]);
        tt_card_fund(&c, FUND);
        tt_card_close(&c);
    }
    for (int k = 0; k < 2; k++) {
        tt_card c;
        snprintf(w->psam_img[k], sizeof w->psam_img[k], "%s/psam%d.nvm", w->dir, k);
        tt_card_open(&c, "term-psam", PSAM_SERIAL[k], w->psam_img[k]);
        tt_card_close(&c);
    }
    /* Both terminals get the fare table in the store before the first run. */
    cr_assert_eq(term_store_open(w->db, &o, &s), 0);
    tt_fare_metro(&ft);
    for (int k = 0; k < 2; k++) {
        tt_term_open(&gate, &cfg, PSAM_SERIAL[k], s);
        tt_install_fare(gate.t, &ft, 1);
        tt_term_close(&gate);
    }
    term_store_close(s);
}

typedef struct sums {
    int64_t paid[NCARDS];
    int complete, bad;
} sums;

static int sum_txn(void *ctx, const term_txn *x)
{
    sums *s = ctx;

    if (x->state == TERM_TXN_PENDING)
        s->bad++;
    if (x->state != TERM_TXN_COMPLETE && x->state != TERM_TXN_UNPROVEN)
        return 0;
    for (int i = 0; i < NCARDS; i++)
        if (x->rec.serial == card_serial(i))
            s->paid[i] += x->rec.amount;
    if (x->state == TERM_TXN_COMPLETE) {
        s->complete++;
        tt_expect_tac(&x->rec);
    }
    return 0;
}

Test(kill, kill9_at_random_points_loses_nothing_reported, .timeout = 120)
{
    static report reps[MAX_REPORTS];
    world w;
    size_t nrep = 0;
    int kills = 0;

    setup(&w);
    srand((unsigned)time(NULL));
    for (int it = 0; it < ITERATIONS; it++) {
        int fds[2];
        pid_t pid;
        ssize_t got;
        report rep;
        struct timespec d;
        cr_assert_eq(pipe(fds), 0);
        pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            close(fds[0]);
            report_fd = fds[1];
            child(&w, (unsigned)it + 1);
        }
        close(fds[1]);
        /* Let it run 20..220 ms, then kill it wherever it is. */
        d.tv_sec = 0;
        d.tv_nsec = (20 + rand() % 200) * 1000000L;
        nanosleep(&d, NULL);
        if (kill(pid, SIGKILL) == 0)
            kills++;
        cr_assert_eq(waitpid(pid, NULL, 0), pid);
        while ((got = read(fds[0], &rep, sizeof rep)) == (ssize_t)sizeof rep) {
            cr_assert_lt(nrep, MAX_REPORTS);
            reps[nrep++] = rep;
        }
        close(fds[0]);
    }
    cr_log_info("%d kills, %zu gate openings reported", kills, nrep);
    cr_assert_gt(nrep, 0, "the children never opened a gate");

    /* Restart: every card taps both gates once, which resolves what was pending. */
    {
        term_store_options o = {.mode = TERM_STORE_DURABLE};
        term_store *s;
        tt_term g[2];
        tt_card cards[NCARDS];
        term_result r;
        sums sm;
        int64_t n;
        int pending = 0, recovered = 0;

        cr_assert_eq(term_store_open(w.db, &o, &s), 0);
        for (int k = 0; k < 2; k++) {
            term_config cfg = {.kind = k == 0 ? TERM_GATE_ENTRY : TERM_GATE_EXIT,
                               .station = k == 0 ? 101 : 104,
                               .operator_id = TT_METRO};
            tt_term_open_img(&g[k], &cfg, PSAM_SERIAL[k], w.psam_img[k], s);
            pending += (int)term_pending_count(g[k].t);
        }
        for (int i = 0; i < NCARDS; i++) {
            tt_card_open(&cards[i], "transit-card", card_serial(i), w.card_img[i]);
            for (int k = 0; k < 2; k++) {
                term_simreader_insert(&g[k].card_rd, &cards[i].card);
                cr_assert_geq(term_tap(g[k].t, TT_T0 + TT_MIN(100000 + i * 2 + k), &r), 0);
                recovered += r.reason == TERM_R_RECOVERED;
            }
        }
        for (int k = 0; k < 2; k++)
            cr_expect_eq(term_pending_count(g[k].t), 0);
        /* Every reported opening: in the journal, once, complete. */
        for (size_t i = 0; i < nrep; i++) {
            term_txn x;
            cr_assert_eq(term_journal_find(s, reps[i].terminal, reps[i].ttn, &x), 0,
                         "reported opening %012llx/%u is not in the journal",
                         (unsigned long long)reps[i].terminal, reps[i].ttn);
            cr_expect_eq(x.state, TERM_TXN_COMPLETE);
            cr_expect_eq(x.rec.amount, reps[i].amount);
        }
        memset(&sm, 0, sizeof sm);
        cr_assert_eq(term_journal_each(s, 0, -1, sum_txn, &sm), 0);
        cr_expect_eq(sm.bad, 0, "%d records still pending", sm.bad);
        cr_assert_eq(term_journal_count(s, 0, TERM_TXN_PENDING, -1, &n), 0);
        cr_expect_eq(n, 0);
        for (int i = 0; i < NCARDS; i++) {
            cr_expect_eq((int64_t)tt_card_balance(&cards[i]), FUND - sm.paid[i],
                         "card %d: balance %u, journal says %lld paid of %d", i,
                         tt_card_balance(&cards[i]), (long long)sm.paid[i], FUND);
            tt_card_close(&cards[i]);
        }
        cr_log_info("%d complete records; %d left pending by the kills, %d recovered by a tap",
                    sm.complete, pending, recovered);
        for (int k = 0; k < 2; k++)
            tt_term_close(&g[k]);
        term_store_close(s);
    }
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", w.dir);
        cr_assert_eq(system(cmd), 0);
    }
}
