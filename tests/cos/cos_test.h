/*
 * obol card OS tests: shared helpers. A test card is the default card of
 * cos_perso_default() with the test applet, in memory through the host port.
 */
#ifndef OBOL_TESTS_COS_TEST_H
#define OBOL_TESTS_COS_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/cos_applet.h"
#include "obol/cos_host.h"
#include "obol/cos_perso.h"
#include "testapp/testapp.h"

#define TC_NVM  8192u
#define TC_PAGE 64u
#define TC_SEED 0x0B01u

typedef struct tcard {
    cos_host host;
    cos_card card;
    uint8_t rsp[1024];
    size_t rsplen;
    uint16_t sw;
} tcard;

extern const cos_applet_class *const tc_classes[];
extern const uint16_t tc_nclasses;

/* Builds the default card (OPTIONS: COS_OPT_*) and powers it on (FLAGS of
 * cos_power_on()); asserts success. */
void tc_open(tcard *t, uint8_t options, unsigned flags);
void tc_close(tcard *t);
/* Powers the card off and on again. */
void tc_reset(tcard *t, unsigned flags);
/* Parses hex (spaces allowed) into OUT; returns the length. */
size_t tc_hex(const char *s, uint8_t *out);
/* Sends the APDU given in hex; returns SW; t->rsp holds data||SW, t->rsplen the
 * data length (without SW). Asserts the transmit itself succeeded. */
uint16_t tc_tx(tcard *t, const char *hex);
uint16_t tc_txb(tcard *t, const uint8_t *cmd, size_t len);
/* 1 when the response data equals the hex string. */
int tc_data_is(const tcard *t, const char *hex);
/* Sends a line-protected command: GET CHALLENGE (4 bytes) on channel CH, then HDR
 * (CLA INS P1 P2 in hex, CLA with the SM bit) with DATA and a MAC under the 16-byte
 * KEY, computed independently with cos_crypto's ISO 9797-1 algorithm 3. */
uint16_t tc_tx_mac(tcard *t, const char *hdr, const char *data, const uint8_t key[16]);
/* The test keys of perso_default.c. */
void tc_key(uint8_t first, uint8_t out[16]);

#endif
