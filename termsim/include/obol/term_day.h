/*
 * obol: a day in miniature — the terminal kernel, real cards and the host platform
 * together, end to end, for `obol day` and its test.
 *
 * The platform (hostsim, SQLite) gets an issuer with the TEST master keys, three
 * operators (metro, bus, a shop) and their terminals, fare tables and terminal
 * parameters; it issues N cards, which are personalized from the terminal kernel's
 * card profiles with the serials it allocated (card types adult, student, senior).
 * Terminals (two entry and two exit gates, a bus validator, a POS that also loads)
 * each have their own PSAM and download their parameters and the blacklist through
 * the protocol. Then the day: every card is loaded at the POS (MAC2 from the host's
 * HSM), riders take metro trips (some after a bus ride: transfers), buy at the shop;
 * at noon one card is reported lost, the terminals take the new blacklist and block
 * it when it shows up; one card is pulled away from an exit gate right after DEBIT
 * and recovered at its next tap; uploads lose some acknowledgements and are sent
 * again. At the end the host settles the day and the figures are compared: the
 * host's sums per operator with the terminals' journals to the fen, every TAC
 * verified by the host, the host's reconciliation, and every card's balance (read
 * from the card) with the balance the host implies.
 *
 * Everything is deterministic for a seed. The caller owns nothing but the options
 * and figures; files go where the options say (or a private temporary directory that
 * is removed).
 */
#ifndef OBOL_TERM_DAY_H
#define OBOL_TERM_DAY_H

#include <stdint.h>
#include <stdio.h>

typedef struct term_day_options {
    uint64_t seed;  /* 0 is a seed like any other */
    unsigned cards; /* 2..10000; 0: 24 */
    const char *db; /* the platform's database file (kept), NULL: temporary */
    FILE *log;      /* a line per phase, NULL: quiet */
} term_day_options;

/* One operator's day as the host settled it and as the terminals journaled it. */
typedef struct term_day_op {
    uint32_t operator_id;
    const char *name;
    int64_t host_purchases, host_purchase_fen, host_loads, host_load_fen;
    int64_t term_purchases, term_purchase_fen, term_loads, term_load_fen;
} term_day_op;

typedef struct term_day_figures {
    unsigned cards, terminals;
    unsigned entries, exits, bus_rides, purchases, loads;
    unsigned transfers, discounts, penalties;
    unsigned declined, no_funds, blacklisted, blocked, recovered;
    unsigned batches, resends, records_uploaded;
    term_day_op ops[3];
    uint64_t tac_verified, tac_failed;
    int64_t exceptions;       /* records or batches the host refused or took as duplicates */
    int64_t host_repeats;     /* batches the host recognised as sent again (counted once) */
    int64_t recon_mismatches; /* cards whose reported balance is not the implied one */
    unsigned balances_checked, balances_ok;
    int sums_match; /* every operator's sums agree to the fen */
    int ok;         /* every check passed */
} term_day_figures;

/* Runs the day. Returns 0 with F filled (F->ok says whether every check passed), or a
 * negative TERM_ERR_* / HOST_ERR_* when the day could not run, with a message in ERR
 * (ERRLEN bytes, NUL-terminated). */
int term_day_run(const term_day_options *o, term_day_figures *f, char *err, size_t errlen);

/* Prints F's figures (a few aligned lines) to OUT. */
void term_day_print(const term_day_figures *f, FILE *out);

#endif /* OBOL_TERM_DAY_H */
