/*
 * obol tests: a small platform for the hostsim platform tests, and a "card" that
 * computes its transactions with host_crypto the way a PBOC purse does.
 *
 * fx_open() makes a fresh database in a private temporary directory with a TEST
 * storage key, one issuer with TEST master keys (purchase, load, TAC at version 1,
 * one level; GP at KVN 0x30), two operators (metro 1, bus 2) and terminals: metro
 * gates FX_GATE_A and FX_GATE_B (operator 1), a bus validator FX_BUS (operator 2) and
 * a load terminal FX_LOADER (operator 1). fx_close() closes and removes everything.
 *
 * The card (fx_card) plays the purse's side of PBOC 2.0 with host_crypto directly:
 * purchases (SESPK is the PSAM's business; the host only sees the TAC) and online
 * loads (MAC1 with SESLK, MAC2 checked, TAC), so the records the tests upload carry
 * real TACs. The real card and terminal come with the terminal kernel.
 */
#ifndef OBOL_TEST_HOST_FIXTURE_H
#define OBOL_TEST_HOST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_db.h"
#include "obol/host_hsm.h"
#include "obol/host_issue.h"
#include "obol/host_proto.h"
#include "obol/host_server.h"

#define FX_ISSUER 0x1000000031000000ull /* issuer/city code */
#define FX_PREFIX 0x31000001u           /* serial prefix */
#define FX_GATE_A 0x000011223344ull
#define FX_GATE_B 0x000011223345ull
#define FX_BUS    0x000022000001ull
#define FX_LOADER 0x000033000001ull
#define FX_METRO  1u
#define FX_BUSCO  2u
#define FX_KVN    0x30u

/* The TEST master keys the fixture imports. */
extern const uint8_t FX_MPK[16], FX_MLK[16], FX_MTK[16], FX_KMC[16];
/* The TEST storage key. */
extern const uint8_t FX_STORAGE_KEY[32];

typedef struct fx {
    char dir[128];
    char path[160];
    host_db *db;
    host_hsm *hsm;
    host_server *srv;
} fx;

/* Opens a fresh platform (options OPT may be NULL) and registers the fixture's data. */
void fx_open(fx *f, const host_db_options *opt);
/* Opens the database only (no registrations), e.g. to reopen F->path. */
void fx_open_bare(fx *f, const host_db_options *opt);
void fx_close(fx *f);
/* Closes the handles but keeps the files (to reopen). */
void fx_close_handles(fx *f);

typedef struct fx_card {
    host_perso p;
    uint32_t balance;
    uint16_t offline; /* next offline counter (INITIALIZE FOR PURCHASE's answer) */
    uint16_t online;
} fx_card;

/* Issues a card (card type TYPE, initial balance BALANCE) and activates it. */
void fx_card_issue(fx *f, fx_card *c, uint8_t type, uint32_t balance);

/* A purchase of AMOUNT on TERMINAL (operator OP) with terminal transaction number TTN
 * at DATE/TIME (numbers YYYYMMDD, hhmmss); TYPE 06 or 09. Updates the card. */
void fx_card_purchase(fx_card *c, uint64_t terminal, uint32_t op, uint32_t ttn, uint32_t amount,
                      uint8_t type, uint32_t date, uint32_t time, host_txn *out);

/* An online load of AMOUNT through F's server (LOAD_REQ/LOAD_REPLY frames), MAC2
 * checked as the card does, then the load record. Returns the reply's status
 * (HOST_LOAD_APPROVED or DECLINED; the card is unchanged when declined). */
int fx_card_load(fx *f, fx_card *c, uint64_t terminal, uint32_t op, uint32_t ttn, uint32_t amount,
                 uint32_t date, uint32_t time, host_txn *out, uint8_t *reason);

/* Sends frame REQ through the server; returns the decoded reply (the frame is kept
 * in *RAW, which the caller frees) and checks the server returned 0. */
void fx_call(fx *f, const uint8_t *req, size_t len, host_msg *reply, uint8_t **raw);

/* Encodes N records as batch (TERMINAL, SEQ) into a malloc'd frame. */
uint8_t *fx_batch_frame(uint64_t terminal, uint32_t seq, const host_txn *t, size_t n, size_t *len);

#endif /* OBOL_TEST_HOST_FIXTURE_H */
