/*
 * obol host platform: fare tables and terminal parameter sets, as data and as the
 * payloads of the protocol's PARAM_REPLY (docs/host-protocol.md, "Parameter payloads").
 *
 * The host publishes them by version (host_param.h); terminals download them and the
 * terminal kernel computes fares with host_fare_compute(). This file is pure data work
 * (no I/O, no heap) in the obol_hostproto library, so a terminal needs nothing else.
 *
 * A fare table is either zone-based (a station belongs to a zone; the fare is a
 * zone x zone matrix) or distance-based (each station has a position along the
 * network in metres; the fare is the band the distance falls in), then discounted by
 * card type (a percentage paid), reduced by a transfer rule when the trip starts
 * within a window after a trip on a listed operator, and capped at the maximum fare.
 * The maximum fare is also what a gate holds (checks or deducts) at entry when the
 * exit station is not yet known.
 */
#ifndef OBOL_HOST_FARE_H
#define OBOL_HOST_FARE_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_error.h"

enum {
    HOST_FARE_MAX_STATIONS = 256,
    HOST_FARE_MAX_ZONES = 16,
    HOST_FARE_MAX_BANDS = 16,
    HOST_FARE_MAX_DISCOUNTS = 16,
    HOST_FARE_MAX_TRANSFERS = 8
};

enum { HOST_FARE_ZONE = 1, HOST_FARE_DISTANCE = 2 };

typedef struct host_fare_station {
    uint16_t id;       /* station id as in the transaction record (1..65535) */
    uint8_t zone;      /* zone tables: 0..n_zones-1 */
    uint32_t position; /* distance tables: metres along the network */
} host_fare_station;

typedef struct host_fare_band {
    uint32_t up_to; /* metres, inclusive; bands ascending */
    uint32_t fare;  /* fen */
} host_fare_band;

typedef struct host_fare_discount {
    uint8_t card_type;
    uint8_t percent_paid; /* 0..100: 50 = half fare, 0 = free */
} host_fare_discount;

typedef struct host_fare_transfer {
    uint32_t from_operator; /* the previous trip's operator */
    uint16_t window_min;    /* the new trip starts within this many minutes of its end */
    uint32_t discount;      /* fen off the fare (not below zero) */
} host_fare_transfer;

typedef struct host_fare_table {
    uint32_t version; /* set by host_param_fare_publish() */
    uint32_t operator_id;
    uint8_t kind;      /* HOST_FARE_ZONE or HOST_FARE_DISTANCE */
    uint32_t max_fare; /* cap, and the amount held at entry */
    uint16_t n_stations;
    host_fare_station stations[HOST_FARE_MAX_STATIONS];
    uint8_t n_zones;
    uint32_t zone_fares[HOST_FARE_MAX_ZONES][HOST_FARE_MAX_ZONES]; /* [entry zone][exit zone] */
    uint8_t n_bands;
    host_fare_band bands[HOST_FARE_MAX_BANDS];
    uint8_t n_discounts;
    host_fare_discount discounts[HOST_FARE_MAX_DISCOUNTS];
    uint8_t n_transfers;
    host_fare_transfer transfers[HOST_FARE_MAX_TRANSFERS];
} host_fare_table;

/* The previous trip, for transfer rules; NULL or operator_id 0 means none. */
typedef struct host_fare_prev {
    uint32_t operator_id;
    uint32_t minutes_since; /* from the previous trip's end to this trip's start */
} host_fare_prev;

/* Checks T for consistency (counts within bounds, zones of stations < n_zones, bands
 * ascending, percentages <= 100, unique station ids). 0 or HOST_ERR_ARG. */
int host_fare_check(const host_fare_table *t);

/* The fare in fen for a trip ENTRY -> EXIT on a card of CARD_TYPE (rules above; a
 * card type without a discount entry pays 100 %, percentages round half up to the
 * fen). Returns 0, HOST_ERR_NOTFOUND for an unknown station, HOST_ERR_ARG. */
int host_fare_compute(const host_fare_table *t, uint8_t card_type, uint16_t entry, uint16_t exit,
                      const host_fare_prev *prev, uint32_t *fare);

/* Payload codec (the PARAM_REPLY payload for HOST_PARAM_FARE). Encode checks T first;
 * host_fare_size() is the exact payload length. Decode returns HOST_ERR_BADMSG for
 * anything malformed or inconsistent. */
size_t host_fare_size(const host_fare_table *t);
int host_fare_encode(const host_fare_table *t, uint8_t *out, size_t cap, size_t *out_len);
int host_fare_decode(const uint8_t *in, size_t len, host_fare_table *t);

/* ---- terminal parameter set ------------------------------------------------------ */

/* What a terminal runs with, besides fares and the blacklist. On the wire a TLV list
 * (tag 1, length 1, value); a decoder skips tags it does not know, so later versions
 * can add fields. Absent tags decode as 0. */
typedef struct host_term_params {
    uint32_t version; /* set by host_param_term_publish() */
    uint32_t set_id;
    uint32_t operator_id;
    uint32_t max_offline_amount; /* largest purchase taken offline, fen */
    uint32_t min_entry_balance;  /* transit: balance needed to enter, fen */
    uint8_t purchase_key_index;  /* key index sent in INITIALIZE FOR PURCHASE */
    uint8_t purchase_key_version;
    uint16_t upload_interval_s; /* batch upload period */
    uint16_t max_batch_records;
    uint16_t blacklist_max_age_h; /* go out of service when the blacklist is older */
    uint8_t issuer[8];            /* accepted issuer/city code */
    uint32_t accepted_card_types; /* bit n: card type n accepted (n < 32) */
} host_term_params;

size_t host_term_params_size(const host_term_params *p);
int host_term_params_encode(const host_term_params *p, uint8_t *out, size_t cap, size_t *out_len);
int host_term_params_decode(const uint8_t *in, size_t len, host_term_params *p);

#endif /* OBOL_HOST_FARE_H */
