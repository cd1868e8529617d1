/*
 * obol host platform: the protocol endpoint — one request frame in, one reply frame
 * out (docs/host-protocol.md).
 *
 * host_server_handle() is what a transport calls: the simulator's links today, a
 * socket later. It decodes the request, routes it to the service (settlement,
 * blacklist, parameters, online load, TSM) and encodes the reply, echoing the
 * request's message id. A malformed request gets an ERROR reply (a malformed BATCH a
 * BATCH_ACK with status REJECTED) and is recorded in the exceptions table; nothing is
 * dropped without a trace.
 *
 * The server keeps the open OTA sessions (one per card) between an OTA_FETCH and its
 * OTA_RESULTs; everything else lives in the database. Owned by the caller; bound to
 * a host_db and a host_hsm that outlive it; single-threaded.
 */
#ifndef OBOL_HOST_SERVER_H
#define OBOL_HOST_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_db.h"
#include "obol/host_hsm.h"

typedef struct host_server host_server;

int host_server_new(host_db *db, host_hsm *hsm, host_server **out);

/* Ends the open OTA sessions (their deliveries stay as recorded) and frees S. */
void host_server_free(host_server *s);

/* Handles the request frame REQ of LEN bytes. *REPLY receives a malloc'd reply frame
 * (the caller frees it) of *REPLY_LEN bytes. Returns 0, or a negative HOST_ERR_* for
 * a platform fault (store, crypto); then the reply is an ERROR frame with reason
 * INTERNAL, still to be sent, and the terminal retries later. HOST_ERR_ARG / NOMEM
 * leave *REPLY NULL. */
int host_server_handle(host_server *s, const uint8_t *req, size_t len, uint8_t **reply,
                       size_t *reply_len);

#endif /* OBOL_HOST_SERVER_H */
