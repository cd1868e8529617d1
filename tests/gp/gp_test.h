/*
 * obol GlobalPlatform tests: shared helpers.
 *
 * A test card is a blank card (formatted, an ISD from gp_isd_create()) in memory
 * through the host port, with a ROM table of the card manager, the test application
 * class gt_app_class, and the product classes. Everything after the ISD's creation
 * goes through APDUs, the TSM side being hostsim's GlobalPlatform client (host_gp.h).
 *
 * gt_app_class (id 0x7F40, "gt.app") stands for a transit or welfare application
 * delivered by a load file: install() keeps its install parameters (data object 1)
 * and accepts personalization (gp_accept_perso()); STORE DATA forwarded by its SD is
 * appended to data object 2. Commands: 80 CA 00 01 (install parameters), 80 CA 00 02
 * (personalization data); files come from the load file and are read with the OS's
 * READ BINARY / READ RECORD.
 */
#ifndef OBOL_TESTS_GP_TEST_H
#define OBOL_TESTS_GP_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "gp/gp.h"
#include "obol/cos.h"
#include "obol/cos_host.h"
#include "obol/cos_perso.h"
#include "obol/host_gp.h"

#define GT_NVM       32768u
#define GT_PAGE      64u
#define GT_SEED      0x6770u
#define GT_APP_CLASS 0x7F40u

extern const cos_applet_class gt_app_class;
extern const cos_applet_class *const gt_classes[];
extern const uint16_t gt_nclasses;

/* Test AIDs. */
extern const uint8_t GT_ISD[8];        /* A000000151000000 */
extern const uint8_t GT_TRANSIT_SD[9]; /* the transit operator's SSD */
extern const uint8_t GT_SOCIAL_SD[9];  /* the social security bureau's SSD */

typedef struct gcard {
    cos_host host;
    cos_card card;
    uint8_t rsp[1024]; /* last response: data || SW (plain after gt_sc) */
    size_t rlen;       /* data bytes */
    uint16_t sw;
    host_gp_session s; /* the open secure channel, if any */
    uint8_t hc;        /* host challenge generator */
    uint8_t sd_aid[16];
    size_t sd_len;
} gcard;

/* Formats an image and creates the ISD with CFG (NULL: defaults: SCP03 i=70, AES TEST
 * key 404142..4F, OP_READY); powers the card on. Asserts success. */
void gt_blank(gcard *g, const gp_isd_config *cfg);
void gt_close(gcard *g);
/* Power cycle (RAM state, hence any session, is lost). */
void gt_reset(gcard *g);

size_t gt_hex(const char *s, uint8_t *out);
/* Plain transmit; g->rsp, g->rlen, g->sw. */
uint16_t gt_tx(gcard *g, const uint8_t *cmd, size_t n);
uint16_t gt_txh(gcard *g, const char *hex);
uint16_t gt_select(gcard *g, const uint8_t *aid, size_t n);
/* 1 when the last response data equals HEX. */
int gt_data_is(const gcard *g, const char *hex);

/* Keys for host_gp: all three = KEY (16 bytes), KVN. */
host_gp_keys gt_keys(const uint8_t key[16], uint8_t kvn);
extern const uint8_t GT_TEST_KEY[16]; /* 404142..4F */

/* SELECT the SD AID, INITIALIZE UPDATE with KEYS and EXTERNAL AUTHENTICATE at LEVEL.
 * Returns the card's status word of the last step (9000: open), or the host error
 * (negative) when the client refused the card's answer. SCP is HOST_GP_SCP02/03. */
int gt_open(gcard *g, const uint8_t *sd, size_t sdlen, int scp, uint8_t i, const host_gp_keys *k,
            uint8_t level);
/* Wraps the plain command, sends it, unwraps the answer: returns the SW, with the plain
 * data in g->rsp / g->rlen. Asserts that wrap and unwrap themselves succeed. When the
 * session has R-MAC and the command has no Le, Le 00 is added (the response must
 * carry the R-MAC). */
uint16_t gt_sc(gcard *g, const uint8_t *cmd, size_t n);
uint16_t gt_sch(gcard *g, const char *hex);
/* The wrapped bytes of a plain command (for replay tests). */
size_t gt_wrap(gcard *g, const uint8_t *cmd, size_t n, uint8_t *out);

/* ---- load files (docs/load-file.md) ------------------------------------------------------ */

typedef struct gt_file {
    uint16_t fid;
    uint8_t sfi, type; /* type: 01 transparent, 02 linear, 06 cyclic */
    uint16_t size;     /* transparent */
    uint8_t reclen, nrec;
    uint8_t acr, acw;
    const uint8_t *init;
    size_t init_len;
} gt_file;

typedef struct gt_module {
    const uint8_t *aid;
    size_t aid_len;
    uint16_t class_id;
    uint16_t fid;
    const uint8_t *fci;
    size_t fci_len;
    const uint8_t *params;
    size_t params_len;
    const gt_file *files;
    size_t nfiles;
} gt_module;

/* Builds a load file data block into OUT; returns its length. */
size_t gt_olf(const uint8_t *aid, size_t aid_len, uint16_t version, const gt_module *mods,
              size_t nmods, uint8_t *out);
/* INSTALL [for load] + LOAD blocks of BLOCK bytes through the open channel, with an
 * optional DAP block (E2) for SD DAP_SD computed with DAP_KEY (NULL: none) and the
 * SHA-256 hash (when WITH_HASH). Returns the first non-9000 SW, or 9000. */
uint16_t gt_load(gcard *g, const uint8_t *olf, size_t len, const uint8_t *aid, size_t aid_len,
                 const uint8_t *sd, size_t sdlen, int with_hash, const uint8_t *dap_sd,
                 size_t dap_sd_len, const uint8_t *dap_key, size_t block);
/* INSTALL [for install and make selectable] (P1 0C, or 04 when !SELECTABLE). */
uint16_t gt_install(gcard *g, const uint8_t *elf, size_t elf_len, const uint8_t *mod,
                    size_t mod_len, const uint8_t *app, size_t app_len, const uint8_t priv[3],
                    const uint8_t *c9, size_t c9_len, int selectable);
uint16_t gt_delete(gcard *g, const uint8_t *aid, size_t n, int related);
/* PUT KEY of a whole key set (3 keys = KEY) replacing OLD (0: new). */
uint16_t gt_put_keyset(gcard *g, uint8_t old, uint8_t kvn, const uint8_t key[16]);
/* INSTALL [for personalization] then STORE DATA blocks. */
uint16_t gt_perso(gcard *g, const uint8_t *app, size_t app_len);
uint16_t gt_store(gcard *g, uint8_t p1, uint8_t block, const uint8_t *data, size_t n);
/* STORE DATA encrypted under the session's DEK (P1 b6-b5 = 11), data padded. */
uint16_t gt_store_enc(gcard *g, uint8_t p1, uint8_t block, const uint8_t *data, size_t n);
/* A D8 key set TLV (clear values, for encrypted STORE DATA) for KVN = KEY x 3 of ALG. */
size_t gt_d8(uint8_t kvn, const uint8_t key[16], int aes, uint8_t *out);

/* A context for calling the applet services as instance INST (firewall tests). */
void gt_ctx(gcard *g, cos_oid inst, cos_ctx *x);
/* The instance with AID (asserts it exists). */
cos_app_info gt_app(gcard *g, const uint8_t *aid, size_t n);

#endif
