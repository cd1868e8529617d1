/*
 * obol host platform: parameter distribution — versioned fare tables (one series per
 * operator) and terminal parameter sets (one series per set id).
 *
 * Publishing stores the next version (1, 2, ...) of a series in its protocol encoding
 * (host_fare.h); a terminal downloads a version (normally the latest) and reports the
 * version it holds, which is recorded as its acknowledgement. Old versions stay
 * downloadable, so a terminal can be put back on a known table.
 */
#ifndef OBOL_HOST_PARAM_H
#define OBOL_HOST_PARAM_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_db.h"
#include "obol/host_fare.h"

/* Publishes T as the next version of operator T->operator_id's fare table; sets
 * T->version (and *VERSION, may be NULL). HOST_ERR_ARG when host_fare_check() fails,
 * HOST_ERR_NOTFOUND for an unknown operator. */
int host_param_fare_publish(host_db *db, host_fare_table *t, uint32_t *version);

/* Reads version VERSION (0: latest) of OPERATOR's fare table. HOST_ERR_NOTFOUND. */
int host_param_fare_get(host_db *db, uint32_t operator_id, uint32_t version, host_fare_table *out);

/* Publishes P as the next version of parameter set P->set_id (> 0); sets P->version. */
int host_param_term_publish(host_db *db, host_term_params *p, uint32_t *version);

/* Reads version VERSION (0: latest) of parameter set SET_ID. HOST_ERR_NOTFOUND. */
int host_param_term_get(host_db *db, uint32_t set_id, uint32_t version, host_term_params *out);

/* The stored payload of KIND (HOST_PARAM_FARE: series = operator id; HOST_PARAM_TERMINAL:
 * series = set id), version VERSION (0: latest): a malloc'd copy in *PAYLOAD (the
 * caller frees it) of *LEN bytes, the version in *VERSION_OUT. HOST_ERR_NOTFOUND. */
int host_param_payload(host_db *db, int kind, uint32_t series, uint32_t version, uint8_t **payload,
                       size_t *len, uint32_t *version_out);

/* Records that TERMINAL holds version VERSION of KIND. HOST_ERR_NOTFOUND. */
int host_param_ack(host_db *db, uint64_t terminal, int kind, uint32_t version);

#endif /* OBOL_HOST_PARAM_H */
