/*
 * obol core: the world a scenario plays — riders carrying cards (cardsim instances,
 * kept as NVM images and attached to a cos_card only while in a field), terminals
 * (termsim kernels with a PSAM, a cardsim instance running the PSAM applet) grouped in
 * lines of stations, the platform (hostsim) reached over simulated links, and the
 * timeline's events — and the metrics it measures for the checks.
 *
 * sim_world_run() builds the world from a loaded scenario, plays it on the event
 * kernel with the scenario's seed, evaluates the checks and adds a scenario section
 * (figures, checks, charts) to a report. Same scenario, same seed: the same report.
 *
 * Errors: 0 or a negative SIM_ERR_* code; the message in ERR.
 */
#ifndef OBOL_SIM_WORLD_H
#define OBOL_SIM_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/rpt.h"
#include "obol/scenario.h"

/* The metrics the world measures, by name, for <check metric="...">. */
typedef struct sim_metric_info {
    const char *name;
    const char *unit;
    const char *what;
} sim_metric_info;

/* The table of known metrics, terminated by a NULL name. */
extern const sim_metric_info sim_world_metrics[];
/* 1 when NAME is a known metric. */
int sim_world_metric_known(const char *name);

/* Deliberate faults, for the tests that show each check can fail. Never set in a
 * normal run. */
enum {
    SIM_FAULT_NONE = 0,
    SIM_FAULT_CARD_FIXED_RNG = 1 << 0, /* cards' RNG repeats: replays to a clone succeed */
    SIM_FAULT_BLACKLIST_LOST = 1 << 1, /* blacklist distribution never reaches a terminal */
    SIM_FAULT_NO_RECOVERY = 1 << 3,    /* riders re-tap a torn card at another gate */
};

/* What a run did, for benchmarks and progress displays. */
typedef struct sim_world_stats {
    uint64_t taps;   /* card transactions at terminals */
    uint64_t events; /* events the kernel fired */
    uint32_t cards;  /* cards issued (used at least once) */
} sim_world_stats;

/* The running world, for hooks and actions (below); opaque. Valid from the SETUP call
 * of sim_world_opts until sim_world_run() returns. */
typedef struct world sim_world;

typedef struct sim_world_opts {
    uint64_t seed; /* overrides the scenario's seed when HAS_SEED */
    int has_seed;
    unsigned faults; /* SIM_FAULT_* */
    /* Progress: called about every 250 ms of wall time with the virtual time reached
     * and events fired; may be NULL. */
    void (*progress)(void *ctx, const scenario *sc, sim_time now, uint64_t events);
    void *progress_ctx;
    sim_world_stats *stats; /* filled after the run when not NULL */
    /* Called once the world is built, before its first event, to set hooks
     * (sim_world_set_hook) and schedule actions (sim_world_sim + sim_schedule). A
     * nonzero return stops the run before it starts and is returned by
     * sim_world_run(). May be NULL. */
    int (*setup)(sim_world *w, void *ctx);
    void *setup_ctx;
    /* The file the platform keeps its database in (hostsim's SQLite schema; the file
     * must not exist yet), for reading after the run; NULL keeps it in memory. */
    const char *host_db;
} sim_world_opts;

/* Plays SC and appends its section to REPORT, evaluating SC's checks against the
 * requirement catalogue CAT. A world that cannot be built (a profile missing, out of
 * memory) still adds its section, marked as not run, and returns the error. OPTS may
 * be NULL. Returns 0 (the run happened; the checks may still have failed) or a
 * negative SIM_ERR_* code with the message in ERR. */
int sim_world_run(const scenario *sc, const sim_world_opts *opts, const rpt_catalog *cat,
                  rpt_report *report, char *err, size_t errlen);

/* ---- hooks and actions ---------------------------------------------------------------
 * Callers' code on the world's events — a custom attacker, a rider behaviour, a check
 * of one's own (the Python binding's hooks) — without a change to the world. Hooks are
 * called synchronously, in virtual time order, where no card is in a field, so a hook
 * may act on the world (the actions below) and schedule actions for later through the
 * kernel (sim_world_sim()). Hooks nested more than SIM_WORLD_HOOK_DEPTH deep (an
 * action's event calling a hook that acts again) cannot act: their actions return
 * SIM_ERR_RANGE. Everything here may be called only from SETUP, a hook or an event
 * scheduled on the world's kernel, on the thread running sim_world_run(). */

typedef enum sim_hook_kind {
    SIM_HOOK_TAP = 0,       /* a card transaction at a terminal ended (the card left) */
    SIM_HOOK_SETTLE = 1,    /* the platform answered a terminal's upload of its records */
    SIM_HOOK_BLACKLIST = 2, /* a terminal received a newer blacklist from the platform */
    SIM_HOOK_ATTACK = 3,    /* a replay attempt ended */
    SIM_HOOK_METRIC = 4,    /* after the run, once per measured metric (read-only) */
    SIM_HOOK_COUNT = 5
} sim_hook_kind;

#define SIM_WORLD_HOOK_DEPTH 4

/* What a hook is told; fields that do not apply to a kind are -1 or 0. */
typedef struct sim_hook_event {
    sim_hook_kind kind;
    sim_time at;  /* virtual time of the event */
    int64_t card; /* card index in the population (serial base + index), -1 none */
    int terminal; /* terminal index (0 .. terminals - 1), -1 none */
    int group;    /* the terminal's group (index into the scenario's groups), -1 none */
    /* TAP: 1 approved, 0 declined, -2 the card left before a decision.
     * SETTLE: 0 when every record was acknowledged, else the terminal kernel's error
     * (offline, a batch rejected: the terminal keeps the records).
     * BLACKLIST: the version the terminal now holds.
     * ATTACK: 1 accepted, 0 refused and detected, -1 refused without a replay alarm. */
    int result;
    uint32_t amount;     /* TAP: fen; ATTACK: the captured purchase's amount */
    sim_time duration;   /* TAP: the transaction time */
    uint32_t records;    /* SETTLE: records the platform acknowledged */
    uint32_t duplicates; /* SETTLE: of which the platform found duplicate */
    uint32_t rejected;   /* SETTLE: records it rejected */
    int replay;          /* ATTACK: the scn_attack kind */
    const char *metric;  /* METRIC: its name (sim_world_metrics); NULL for other kinds */
    double value;        /* METRIC: the value */
    int has_value;       /* METRIC: 0 when the run gave it no value (no data) */
} sim_hook_event;

/* A hook: EV is valid during the call only. */
typedef void (*sim_hook_fn)(sim_world *w, const sim_hook_event *ev, void *ctx);

/* Sets the hook of KIND (one per kind; FN NULL removes it). CTX is passed back and
 * stays the caller's. Returns 0 or SIM_ERR_INVAL (KIND out of range). */
int sim_world_set_hook(sim_world *w, sim_hook_kind kind, sim_hook_fn fn, void *ctx);

/* The world's kernel: actions are events scheduled on it with sim_schedule() or
 * sim_after() (virtual time, same order rules as the world's own events). */
sim *sim_world_sim(sim_world *w);
/* The scenario being played. */
const scenario *sim_world_scenario(const sim_world *w);
/* Figures so far (cards counts those issued). */
void sim_world_get_stats(const sim_world *w, sim_world_stats *out);

/* A terminal's place: its group, station and index within the station. */
typedef struct sim_world_terminal_info {
    int group, station, index;
    uint8_t tid[6]; /* its terminal id */
} sim_world_terminal_info;
/* Number of terminals, and terminal TI's place (0 or SIM_ERR_INVAL). */
int sim_world_terminals(const sim_world *w);
int sim_world_terminal(const sim_world *w, int ti, sim_world_terminal_info *out);

/* Actions. Each returns 0 or a negative SIM_ERR_*: SIM_ERR_INVAL for an argument out
 * of range, SIM_ERR_RANGE when nested too deep or called after the run, or the
 * world's own error (then the run stops). */

/* Tap kinds for sim_world_tap(). */
typedef enum sim_tap_kind {
    SIM_TAP_ENTRY = 1,    /* transit entry: writes the trip record, no fare */
    SIM_TAP_EXIT = 2,     /* transit exit: the fare from the trip record */
    SIM_TAP_FLAT = 3,     /* a composite (CAPP) purchase of AMOUNT */
    SIM_TAP_PURCHASE = 4, /* an EP purchase of AMOUNT */
} sim_tap_kind;
/* Card CARD taps terminal TI now (out of the terminal's queue, like a thief's tap):
 * the full transaction with the timing model, journal and metrics. A gate's kernel
 * decides entry or exit and the fare itself; AMOUNT is the purchase at other terminals.
 * *RESULT (may be NULL) as SIM_HOOK_TAP's result, *DURATION (may be NULL) the
 * transaction time. */
int sim_world_tap(sim_world *w, int ti, uint64_t card, sim_tap_kind kind, uint32_t amount,
                  int *result, sim_time *duration);
/* One replay attempt of KIND now with what the attacker captured (counted in the
 * replay.* metrics like the timeline's attacks). *RESULT as SIM_HOOK_ATTACK's.
 * SIM_ERR_NOENT when nothing usable was captured yet. */
int sim_world_replay(sim_world *w, scn_attack kind, int *result);
/* Turns the attacker's sniffer on (captures of approved purchases, with a clone of the
 * card's image before each) or off; on by itself when the timeline has attacks. */
int sim_world_set_capture(sim_world *w, int on);
/* The host lists card CARD now (terminals learn it at their next pull); a card not yet
 * issued is issued first. Listing a listed card is a no-op. */
int sim_world_blacklist(sim_world *w, uint64_t card);
/* Card CARD in the hand of whoever calls: powered on over the contactless interface in
 * a private field, FN(CTX, CARD_OS, NOW_US) sends it APDUs with cos_transmit(), then
 * the card is powered off (its NVM keeps what the APDUs did). FN's return value is
 * returned when nonzero. */
int sim_world_card_session(sim_world *w, uint64_t card,
                           int (*fn)(void *ctx, cos_card *card_os, uint64_t now_us), void *ctx);
/* Stops the run with the error MSG (copied): sim_world_run() returns SIM_ERR_INVAL
 * with MSG, the report marks the scenario as not run. */
void sim_world_fail(sim_world *w, const char *msg);

#endif /* OBOL_SIM_WORLD_H */
