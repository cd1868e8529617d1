/*
 * obol: the day in miniature, private parts shared by day.c (the world and the day's
 * events) and day_check.c (settlement and the checks).
 */
#ifndef OBOL_TERM_DAY_INTERNAL_H
#define OBOL_TERM_DAY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/cos_host.h"
#include "obol/host_db.h"
#include "obol/host_hsm.h"
#include "obol/host_server.h"
#include "obol/term.h"
#include "obol/term_day.h"
#include "obol/term_simreader.h"

#define DAY_ISSUER 0x1234567800000000ull /* the purse profile's issuer code */
#define DAY_DATE   20261122u
/* 2026-11-22 00:00 Beijing time (UTC+8), ns since 1970. */
#define DAY_MIDNIGHT ((int64_t)1795276800 * 1000000000)
#define DAY_MIN      ((int64_t)60 * 1000000000)

enum { OP_METRO = 1, OP_BUS = 2, OP_SHOP = 3 };
enum { T_IN1, T_IN2, T_OUT1, T_OUT2, T_BUS, T_POS, NTERMS };

typedef struct day_card {
    cos_host host;
    cos_card card;
    uint64_t serial;
    uint8_t type;
} day_card;

typedef struct day_term {
    day_card psam;
    term_simreader card_rd, psam_rd;
    term *t;
    uint32_t op;
} day_term;

/* The host link: the platform's server, with replies to batches lost at a seeded
 * rate (the host has the batch; the terminal does not know). */
typedef struct day_link {
    host_server *srv;
    uint8_t *reply;
    uint64_t rng;
    unsigned drop_per_mille;
    unsigned dropped;
} day_link;

typedef struct day {
    const term_day_options *o;
    term_day_figures *f;
    char dir[64];
    char dbpath[512];
    host_db *db;
    host_hsm *hsm;
    day_link link;
    term_store *store;
    day_term terms[NTERMS];
    day_card *cards;
    unsigned ncards;
    uint64_t rng;
    char *err;
    size_t errlen;
} day;

/* Formats an error into D's buffer and returns RC. */
int day_fail(day *d, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The checks at the end of the day (day_check.c): settles, compares, fills D->f. */
int day_check(day *d);

/* Reads a card's EP balance through APDUs (SELECT, GET BALANCE). */
int day_card_balance(day_card *c, uint32_t *balance);

#endif /* OBOL_TERM_DAY_INTERNAL_H */
