/*
 * obol host platform: online load (top-up) authorization.
 *
 * A load terminal sends the card's INITIALIZE FOR LOAD answer (old balance, online
 * counter, key version, random, MAC1) with the amount, its terminal id and the date
 * and time; the host checks the terminal, the card (issued, active, not blacklisted),
 * the balance limit and, through the HSM, MAC1, and answers MAC2 for CREDIT FOR LOAD
 * (PBOC 2.0 part 1; PROTOCOLS.md). Approvals are recorded per card and online counter
 * (the latest one wins: a card whose load was interrupted asks again with the same
 * counter and a new random); the reconciliation counts approvals for which no load
 * record was ever uploaded. Declines are recorded in the exceptions table.
 */
#ifndef OBOL_HOST_LOAD_H
#define OBOL_HOST_LOAD_H

#include "obol/host_db.h"
#include "obol/host_hsm.h"
#include "obol/host_proto.h"

/* Answers REQ in REP (status HOST_LOAD_APPROVED with MAC2, or HOST_LOAD_DECLINED with
 * a reason: UNKNOWN_TERMINAL, UNKNOWN_CARD, CARD_STATE, BLACKLISTED, LIMIT,
 * UNKNOWN_KEY, BAD_MAC1, BAD_TYPE). Returns 0 whenever REP is filled, or a negative
 * HOST_ERR_* for a store or crypto failure (no answer: the terminal retries). */
int host_load_authorize(host_db *db, host_hsm *hsm, const host_msg_load_req *req,
                        host_msg_load_reply *rep);

#endif /* OBOL_HOST_LOAD_H */
