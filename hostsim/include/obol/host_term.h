/*
 * obol host platform: operators and their terminals.
 *
 * An operator (a metro line company, a bus company, a retailer) is who gets settled;
 * a terminal (gate, validator, POS, load terminal, set-top box) belongs to one
 * operator, has a 6-byte terminal id (the one its PSAM holds and the card MACs),
 * optionally a station, a terminal parameter set, and the versions of blacklist,
 * fare table and parameters it has acknowledged. Batches and requests from an
 * unregistered or out-of-service terminal are refused (HOST_REASON_UNKNOWN_TERMINAL).
 *
 * All functions take the platform's host_db first and return 0 or HOST_ERR_*.
 */
#ifndef OBOL_HOST_TERM_H
#define OBOL_HOST_TERM_H

#include <stdint.h>

#include "obol/host_db.h"

enum {
    HOST_TERM_GATE = 1,
    HOST_TERM_BUS = 2,
    HOST_TERM_POS = 3,
    HOST_TERM_LOAD = 4, /* online load (top-up) terminal */
    HOST_TERM_STB = 5   /* pay-TV set-top box */
};

typedef struct host_terminal {
    uint64_t id; /* 6-byte terminal id, 1 .. 2^48-1 */
    uint32_t operator_id;
    uint8_t kind;       /* HOST_TERM_* */
    uint16_t station;   /* transit station, 0 none */
    uint32_t param_set; /* terminal parameter set id (host_param.h), 0 none */
    int in_service;
    /* Read-only here (host_blacklist_ack(), host_param_ack() set them): */
    uint32_t bl_version;
    uint32_t fare_version;
    uint32_t param_version;
    int64_t last_seen; /* platform time of the last message, 0 never */
} host_terminal;

/* Registers operator ID (1..2^31-1) named NAME. HOST_ERR_DUPLICATE if it exists. */
int host_operator_add(host_db *db, uint32_t id, const char *name);

/* Registers T (in service when T->in_service, version fields ignored).
 * HOST_ERR_DUPLICATE, HOST_ERR_NOTFOUND (no such operator), HOST_ERR_ARG. */
int host_terminal_add(host_db *db, const host_terminal *t);

/* Reads terminal ID. HOST_ERR_NOTFOUND. */
int host_terminal_get(host_db *db, uint64_t id, host_terminal *out);

/* Takes a terminal in or out of service. HOST_ERR_NOTFOUND. */
int host_terminal_set_service(host_db *db, uint64_t id, int in_service);

/* Stamps the terminal's last contact with the platform clock (no error if unknown). */
int host_terminal_seen(host_db *db, uint64_t id);

#endif /* OBOL_HOST_TERM_H */
