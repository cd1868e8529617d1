/*
 * obol core: the world's internal structures, shared by its files (not public).
 *
 *   world.c         building the world from a scenario, running it, the progress hook
 *   world_cards.c   the card population: NVM images made on first use, issuance and
 *                   first load, attaching a cos_card while a card is in a field
 *   world_term.c    terminals: PSAM, the purchase and transit flows over APDUs with
 *                   the timing model, recovery of torn purchases, journal, blacklist
 *   world_ota.c     the OTA campaign step a terminal runs after a purchase: a
 *                   GlobalPlatform script (SCP03, INSTALL, LOAD) through hostsim's client
 *   world_host.c    the platform: links, batch upload, TAC verification, duplicate
 *                   detection, ledger, blacklist distribution
 *   world_riders.c  riders: arrivals, origin-destination, queues at the gates, lost
 *                   cards, the timeline
 *   world_attack.c  replay attacks on cards, terminals and the host
 *   world_checks.c  metrics, checks and the report section with its charts
 */
#ifndef OBOL_WORLD_INTERNAL_H
#define OBOL_WORLD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/cos_host.h"
#include "obol/scenario.h"
#include "obol/sim.h"
#include "obol/sim_metrics.h"
#include "obol/sim_rng.h"
#include "obol/sim_timing.h"
#include "obol/sim_world.h"
#include "obol/term.h"
#include "obol/term_simreader.h"

/* Random stream ids: one per entity kind, offset by the entity's index. */
#define W_STREAM_ARRIVALS  1ull
#define W_STREAM_RIDERS    2ull
#define W_STREAM_CARDS     (1ull << 32)
#define W_STREAM_TERMINALS (2ull << 32)
#define W_STREAM_LINKS     (3ull << 32)
#define W_STREAM_ATTACK    (4ull << 32)
#define W_STREAM_LOST      (5ull << 32)

/* ---- cards ----------------------------------------------------------------------------- */

enum { W_CARD_OUTSIDE = 0, W_CARD_BUSY = 1, W_CARD_INSIDE = 2 };

typedef struct w_card {
    uint8_t *nvm;     /* NVM image, NULL until the card is first used */
    uint32_t initial; /* balance after issuance, fen */
    uint32_t last_balance;
    uint8_t where;        /* W_CARD_* */
    uint8_t lost;         /* reported lost: only the thief uses it */
    uint8_t ota;          /* 0 not targeted, 1 targeted, 2 updated (TSM's view) */
    uint8_t ota_installs; /* installs the card actually performed */
    uint8_t torn;         /* a purchase was torn on this card */
    uint8_t ota_seen;     /* tapped while the campaign ran */
    uint8_t used;
    uint16_t entry_station;
    int64_t settled; /* host ledger: amounts settled, fen */
    uint32_t spent;  /* terminal view: amounts approved, fen */
} w_card;

/* A card in a field: RAM state attached to the card's NVM image. */
typedef struct w_live {
    cos_host host;
    cos_card card;
    cos_hal hal; /* the host port's ops (with a fixed RNG under SIM_FAULT_CARD_FIXED_RNG) */
    uint32_t idx;
} w_live;

/* ---- terminals ------------------------------------------------------------------------- */

/* A journal record: what a terminal uploads and the host settles. */
typedef struct w_rec {
    uint32_t card;
    int term;         /* the terminal that made it (index) */
    uint16_t counter; /* the card's offline counter before the purchase */
    uint8_t type;     /* 06 EP purchase, 09 composite */
    uint32_t amount;
    uint32_t ttn;
    uint8_t date[4], time[3];
    uint8_t tac[4];
    uint8_t tid[6];    /* the terminal that made it */
    uint8_t kver, alg; /* the purchase key version and algorithm INITIALIZE announced */
    uint32_t balance;  /* balance before the purchase */
    uint16_t entry_station, exit_station; /* transit: station + 1, 0 none */
    sim_time made;                        /* when the terminal committed it */
    uint8_t offline;                      /* made while the host was unreachable */
} w_rec;

/* One command and its answer, as the sniffer saw them. */
#define W_MAX_PAIRS 16
typedef struct w_pair {
    uint8_t cmd[64], rsp[80];
    uint8_t clen, rlen;
} w_pair;

/* One recorded legitimate exchange, for the replay attacker. */
typedef struct w_capture {
    int used;
    uint32_t card;
    int term;
    w_pair pairs[W_MAX_PAIRS];
    int npairs;
    uint8_t ats[40];
    uint8_t ats_len;
    uint8_t *nvm_before; /* the card's image before the purchase (a clone) */
    w_rec rec;           /* the record as the terminal uploaded it */
    sim_time at;
} w_capture;

/* Where a rider pulls the card away (world_reader.c). */
enum { W_TEAR_BEFORE = 1, W_TEAR_AFTER = 2, W_TEAR_POWER = 3 };

typedef struct world world;

/* The card reader of a terminal (world_reader.c): a term_reader backend. */
typedef struct w_reader {
    term_reader base; /* first: the kernel's view */
    world *w;
    int ti;
    cos_card *card;        /* in the field, or NULL */
    const w_capture *fake; /* a fake card answering with this recording, or NULL */
    int tear_ins;          /* pull the card away at this INS, -1 none */
    int tear_mode;         /* W_TEAR_* */
    int torn;              /* the card was pulled away during this tap */
} w_reader;

typedef struct w_term {
    int group, station, index; /* index within the station */
    uint8_t tid[6];
    w_live psam;
    uint8_t *psam_nvm;
    sim_rng rng;
    /* queue of riders (card indexes with their arrival time) */
    uint32_t *q_card;
    sim_time *q_time;
    uint8_t *q_kind; /* tap kind per rider (W_TAP_*) */
    uint32_t *q_arg; /* entry: the destination station; purchase: the amount */
    size_t q_head, q_len, q_cap;
    int busy;
    /* the rider being served */
    uint32_t sv_card, sv_arg;
    uint8_t sv_kind, sv_tries;
    int sv_result;
    sim_time sv_joined, sv_start;
    /* the termsim kernel, its readers and its host link */
    world *w;
    term *k;
    w_reader card_rd;
    term_simreader psam_rd;
    uint8_t last_cmd[300]; /* the PSAM command in flight, for the trace */
    size_t last_len;
    uint8_t *reply;       /* the platform's last reply frame (owned) */
    sim_time last_upload; /* when an upload last went through */
    uint32_t bl_version;  /* the blacklist version the kernel holds (after a sync) */
    /* counts */
    uint32_t minute_count, minute_best;
    sim_time minute_start;
} w_term;

/* One event of a transaction's trace, kept raw until the report needs text. */
#define W_TRACE_EVENTS 48
typedef struct w_tev {
    char who; /* 'c' card, 'p' PSAM, 0 a note */
    uint8_t lost;
    uint16_t clen, rlen; /* APDU: lengths (bytes beyond the buffers are shown as "..") */
    uint16_t off, len;   /* note: its text in world.notes */
    uint8_t cmd[64], rsp[64];
    sim_time t;
} w_tev;

/* ---- the world ------------------------------------------------------------------------- */

typedef struct w_lost {
    const scn_event *ev;
    uint32_t card;
    sim_time reported;
    sim_time blocked;    /* first refusal, SIM_NEVER until then */
    uint32_t after_taps; /* accepted after the report */
    uint64_t after_amount;
    uint32_t spent_before; /* the card's spending when last counted */
    uint32_t taps;
} w_lost;

struct world {
    const scenario *sc;
    const sim_world_opts *opts;
    sim *s;
    uint64_t seed;
    int err;
    char errmsg[512];
    /* cards */
    w_card *cards;
    uint32_t ncards;
    w_live live; /* the one card in a field at a time (the simulation is sequential) */
    uint8_t key_mlk[16], key_mtk[16];   /* the issuer's TEST load and TAC master keys */
    uint8_t key_mpk1[16], key_mpk2[16]; /* and its TEST purchase master keys */
    uint8_t key_index;                  /* purchase key index terminals use (key rotation) */
    int capture_on;                     /* the timeline has replay attacks: record taps */
    /* terminals */
    w_term *terms;
    int nterms;
    int *group_first; /* first terminal index of each group */
    /* host: hostsim's platform (SQLite in memory, HSM, protocol server) */
    struct host_db *db;
    struct host_hsm *hsm;
    struct host_server *srv;
    uint32_t msg_id;
    term_store *store;      /* the terminals' shared journal (simulation mode, in memory) */
    int commissioning;      /* terminals being set up: their link is reliable */
    uint64_t host_flagged;  /* records accepted but flagged (blacklisted card, gap) */
    char host_refusal[256]; /* the first record the platform refused, and why */
    sim_rng link_rng;
    /* riders */
    sim_arrivals arrivals;
    sim_rate_profile prof;
    sim_time *prof_at;
    double *prof_rate;
    sim_rng rider_rng;
    double *origin_w; /* per station of a line: cumulative origin weights */
    int riders_in;    /* inside the network */
    /* timeline state */
    w_lost *lost;
    size_t nlost;
    int ota_active;
    const scn_event *ota_ev;
    sim_time ota_start;
    /* attacker */
    w_capture cap[64];
    size_t ncap;
    sim_rng atk_rng;
    /* metrics */
    sim_hist tap_ns;  /* card transaction time */
    sim_hist wait_ns; /* queue + service */
    sim_hist svc_ns;  /* time a rider occupies a gate */
    sim_hist ota_ns;
    sim_series queue_series, throughput_series, ota_series, backlog_series;
    uint64_t taps, approved, offline_approved, declined, minute_taps;
    uint64_t settled, bad_tac, dup_settled, dup_flagged, records_made;
    uint64_t offline_made, offline_settled, records_acked, batch_resends;
    /* the transaction at a terminal now: its exchanges for the sniffer and the trace */
    w_capture cur;
    int tracing;
    sim_time trace_t0; /* shown time of the tap's start (the poll wait) */
    int64_t tap_start; /* the terminal clock at the tap's start */
    uint64_t torn, recovered, tear_inconsistent;
    uint64_t ota_targeted, ota_updated, ota_torn, ota_twice, ota_corrupted, ota_tapped;
    uint64_t replay_attempts, replay_accepted, replay_undetected;
    uint64_t replay_kind_tries[3], replay_kind_accepted[3]; /* by scn_attack */
    int max_queue;
    uint64_t waiting;
    uint64_t backlog, max_backlog;
    /* trace excerpts for the report */
    char trace_slowest[4096];
    sim_time slowest;
    char trace_cur[4096];
    w_tev tev[W_TRACE_EVENTS];
    int ntev;
    char notes[2048];
    size_t notes_len;
    size_t trace_len;
    char trace_replay[3][2048]; /* by scn_attack: the first accepted replay, else the first */
    int replay_trace_accepted[3];
    char trace_tear[2048];
    /* hooks (sim_world.h; world_hooks.c) */
    struct {
        sim_hook_fn fn;
        void *ctx;
    } hooks[SIM_HOOK_COUNT];
    int hook_depth; /* hooks being called, nested */
    int reporting;  /* the run is over: no more actions */
};

/* world.c */
void w_fail(world *w, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Link state between terminal group G's terminals and the host at time T: 1 up. */
int w_link_up(const world *w, int group, sim_time t);
/* A one-way delay over group G's link (latency + jitter), and whether it was lost. */
sim_time w_link_delay(world *w, int group, int *lost);
/* Local date and time (BCD) of virtual time T: the scenario day is 2026-11-23. */
void w_datetime(sim_time t, uint8_t date[4], uint8_t tim[3]);

/* world_cards.c */
int w_cards_init(world *w);
void w_cards_free(world *w);
/* Attaches card IDX (creating and issuing it on first use) to w->live and powers it
 * on over IFACE; the chip's power-on time in *ELAPSED. Returns 0 or a negative code
 * (w->err set). */
int w_card_enter(world *w, uint32_t idx, unsigned iface, sim_time now, sim_time *elapsed);
void w_card_leave(world *w);
/* Makes card IDX (image, issuance at the platform) if it does not exist yet. */
int w_card_ensure(world *w, uint32_t idx);
/* Attaches card IDX (made on first use) to w->live without powering it. */
int w_card_attach(world *w, uint32_t idx);
/* Attaches a copy of a card image (a clone the attacker made) to w->live, powered on
 * contactless. IMG is not modified. Returns 0 or a negative code. */
int w_clone_enter(world *w, uint32_t idx, const uint8_t *img, uint8_t *scratch);
/* The card's serial (serial base + index) as 8 BCD-free big-endian bytes. */
void w_card_serial(const world *w, uint32_t idx, uint8_t out[8]);
/* Reads the EP balance of card IDX (powering it in a private field). -1 on failure. */
int64_t w_card_balance(world *w, uint32_t idx);
/* Powers card IDX on and checks it works: purse selectable, GET BALANCE answers.
 * Counts the new application's instances into *NAPP. Returns 0 when healthy. */
int w_card_health(world *w, uint32_t idx, int *napp);
/* The transit application added by OTA. */
extern const uint8_t w_ota_aid[8];

/* world_term.c */
/* Creates the terminals' PSAMs (before the platform registers them). */
int w_terms_init(world *w);
/* Opens the termsim kernels and downloads their parameters (after the platform). */
int w_terms_open(world *w);
/* Terminal TI's id (the rightmost six bytes of its PSAM's serial). */
uint64_t w_term_id(int ti);
/* 1 when gate T takes entries (the first half of its station's bank). */
int w_term_is_entry(const world *w, const w_term *t);
/* Uploads / synchronizes terminal TI now over its link; 0 or a TERM_ERR_*. */
int w_term_upload(world *w, int ti);
int w_term_sync(world *w, int ti);
/* A fake card answering terminal TI with the recorded exchange C; its result. */
int w_term_fake_tap(world *w, int ti, const w_capture *c, term_result *res);
void w_terms_free(world *w);
/* Runs one tap or purchase of card IDX at terminal T at NOW. KIND: W_TAP_ENTRY,
 * W_TAP_EXIT (fares from the trip record), W_TAP_FLAT (a composite purchase of AMOUNT),
 * W_TAP_PURCHASE (an EP purchase of AMOUNT). Stores the transaction time in *DUR and
 * returns 1 approved, 0 declined, -2 the card left the field before a decision (the
 * rider taps again; a pending purchase is resolved then). */
enum { W_TAP_ENTRY = 1, W_TAP_EXIT = 2, W_TAP_FLAT = 3, W_TAP_PURCHASE = 4 };
int w_term_tap(world *w, int t, uint32_t idx, int kind, uint32_t amount, sim_time now,
               sim_time *dur);
/* One APDU to the card in terminal TI's field (w->live), timed like the terminal's
 * own; adds its time to *DUR, sets *LOST when the card stopped answering. */
uint16_t w_card_apdu(world *w, int ti, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen,
                     sim_time *dur, int *lost);
/* One APDU to terminal TI's PSAM (for the attacker's fake card flow); adds its time
 * to *DUR. Returns the status word, 0 when the PSAM did not answer. */
uint16_t w_psam_apdu(world *w, int ti, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen,
                     sim_time *dur);
int w_term_blacklisted(const world *w, const w_term *t, uint32_t idx);

/* world_reader.c */
void w_reader_init(w_reader *x, world *w, int ti, unsigned iface);
void w_psam_reader_init(w_term *t);
/* The time of one card exchange at terminal TI: interface framing (air, contact, or by
 * command for a dual terminal), frame errors, chip work WORK, the terminal per APDU. */
sim_time w_card_exchange_time(world *w, int ti, const uint8_t *cmd, size_t len, size_t rsplen,
                              const cos_cost *work);

/* world_ota.c */
/* After a purchase, with the card still in the field: the campaign's step. Adds the
 * time it took to *DUR. */
void w_ota_step(world *w, int t, uint32_t idx, sim_time now, sim_time *dur);

/* world_host.c */
int w_host_init(world *w);
void w_host_free(world *w);
/* Starts the periodic upload and blacklist pulls of every terminal. */
int w_host_start(world *w);
/* Sends the records REC[0..N) of terminal TI as batch SEQ to the platform now (the
 * protocol frame through host_server_handle) and books the answer: the per-record
 * notes (accepted, duplicate, refused) update the ledger and the counts. Returns the
 * number of records accepted, or -1 when the host could not take the batch. */
int w_host_upload(world *w, int ti, const w_rec *rec, size_t n, uint32_t seq, int *duplicates);
/* The platform's clock set to the simulation's. */
void w_host_clock(world *w);
/* The operator of terminal group G at the platform. */
uint32_t w_group_operator(int g);
/* What the platform settled: purchases accepted, and records refused for a bad TAC. */
int w_host_settled(world *w, uint64_t *purchases, uint64_t *bad_tac);
/* Registers card IDX (its serial, initial balance) with the platform. */
int w_host_issue(world *w, uint32_t idx);
/* The platform's view of card IDX: the balance it implies (initial - purchases). */
int w_host_implied(world *w, uint32_t idx, int64_t *implied);
/* Reports card IDX lost: the platform adds it to the blacklist now. */
void w_host_blacklist(world *w, uint32_t idx);
/* Close of service at the end of the run: terminals whose link is up upload what they
 * still hold. */
void w_host_close_day(world *w);

/* world_riders.c */
int w_riders_start(world *w);
/* Starts the per-minute samplers (queue, throughput, OTA progress, upload backlog);
 * SP must outlive the run. */
int w_samplers_start(world *w, sim_sampler sp[4]);
void w_riders_free(world *w);
int w_timeline_start(world *w);

/* world_attack.c */
void w_attack_capture(world *w, const w_capture *c);
int w_attack_start(world *w);
/* One replay attempt of KIND now; returns 1 accepted, 0 refused and detected, -1
 * refused without a replay alarm, or SIM_ERR_NOENT when nothing usable was captured. */
int w_attack_once(world *w, scn_attack kind);

/* world_checks.c */
int w_report(world *w, const rpt_catalog *cat, rpt_report *report);

/* world_hooks.c: calls the hook of EV->kind, when one is set. */
void w_hook_emit(world *w, const sim_hook_event *ev);
/* Terminal TI's upload was answered: RC as term_upload's, the records the platform
 * acknowledged, found duplicate and rejected. */
void w_hook_settle(world *w, int ti, int rc, uint32_t records, uint32_t duplicates,
                   uint32_t rejected);
/* Terminal TI now holds a newer blacklist. */
void w_hook_blacklist(world *w, int ti);
static inline int w_hooked(const world *w, sim_hook_kind kind)
{
    return w->hooks[kind].fn != NULL;
}

/* Trace: starts a transaction's trace; appends a note (a line) or an exchange; the
 * text so far (in w->trace_cur, w->trace_len). */
void w_trace_reset(world *w);
const char *w_trace_text(world *w);
void w_trace(world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void w_trace_apdu(world *w, const char *who, const uint8_t *cmd, size_t clen, const uint8_t *rsp,
                  size_t rlen, sim_time t);

#endif /* OBOL_WORLD_INTERNAL_H */
