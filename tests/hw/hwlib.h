/*
 * tests/hw: the Cortex-M3 card image under QEMU and obol's in-process card behind one
 * small interface, for the hardware tests (hw_check) and the image benchmark
 * (bench/hw/bench_hw).
 *
 * The QEMU side calls the CLI's QEMU backend (core/cli/vcard_qemu.c: start with the
 * NVM image preloaded and the RNG seed block, frames over the UART, pmemsave at the
 * end). QEMU options of our own (`-icount shift=0`, `-singlestep`) are passed to its
 * vcard__qemu_start_args(); a power cut is its vcard__qemu_stop() into the cut file:
 * QMP `stop`, `pmemsave` of the NVM region and `quit`, so the saved bytes are the NVM
 * exactly as it was at the cut.
 *
 * The in-process side is the host port (cos_host) over a private copy of an NVM
 * image, with the same RNG seed, so both ends draw the same random numbers.
 *
 * Errors: 0 or a negative HW_ERR_* code, with a one-line message in the caller's ERR
 * buffer (or hw_errmsg() for calls on an open card).
 */
#ifndef OBOL_TESTS_HWLIB_H
#define OBOL_TESTS_HWLIB_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"

enum {
    HW_ERR_USAGE = -1,   /* bad arguments, missing image or QEMU */
    HW_ERR_CARD = -2,    /* the card faulted or answered nothing */
    HW_ERR_IO = -3,      /* the link to QEMU or a file failed */
    HW_ERR_NOMEM = -4,   /* out of memory */
    HW_ERR_DIVERGE = -5, /* the image and the in-process card answered differently */
};

/* The NVM region of the image (its linker script; vcard.h's VCARD_QEMU_NVM_SIZE). */
#define HW_NVM_ADDR 0x00100000u
#define HW_NVM_SIZE 65536u
/* Room for any response (COS_RESP_MAX data + SW). */
#define HW_RSP_MAX (COS_RESP_MAX + 2)
/* Virtual nanoseconds per tick of the image's timer (the board's 25 MHz clock). */
#define HW_NS_PER_TICK 40u
/* The icount shift of measurements: each instruction takes 2^7 = 128 virtual ns, 3.2
 * ticks. Under shift=0 (one instruction per virtual ns, the image's own comment) a
 * tick is 40 instructions and the last one varies from run to run, because a command
 * starts at whatever phase of the tick the UART polling loop left; at 3.2 ticks per
 * instruction that phase error stays below a third of an instruction, so rounding
 * gives the exact count. */
#define HW_ICOUNT_SHIFT 7

typedef struct hw_card hw_card;

typedef struct hw_qemu_opts {
    const char *elf; /* the image; NULL: hw_elf_default() */
    int icount;      /* run with -icount shift=HW_ICOUNT_SHIFT, so hw_instructions() counts */
    int cut;         /* allow hw_cut() */
    int slow;        /* -singlestep: one instruction per translation block, several times
                        slower, so a cut at a random instant lands in a short stretch of
                        code (the NVM writes) more often */
} hw_qemu_opts;

/* $OBOL_CARD_ELF, else the build's build-arm/obol-card.elf. */
const char *hw_elf_default(void);

/* Personalizes a new card of SIZE bytes of NVM from PROFILE (name or path,
 * cos_profile.h) in memory, its RNG seeded with SEED (as `obol card exec` seeds a new
 * card), and returns the image in *NVM (malloc'ed, the caller frees it). Returns 0 or
 * HW_ERR_USAGE / HW_ERR_NOMEM with a message in ERR. */
int hw_image_make(const char *profile, uint32_t size, uint64_t seed, uint8_t **nvm, char *err,
                  size_t errlen);

/* Reads the whole file PATH into *BUF (malloc'ed) and *LEN; writes LEN bytes of BUF
 * to PATH (through a temporary file and a rename). 0 or HW_ERR_IO. */
int hw_file_read(const char *path, uint8_t **buf, size_t *len);
int hw_file_write(const char *path, const uint8_t *buf, size_t len);

/* Starts the image under QEMU with the NVM image file NVM_PATH (HW_NVM_SIZE bytes,
 * read at start, not written by this call) and the card RNG seed SEED, and checks that
 * the image answers (a start whose link stays silent is made once more: see
 * hw_restarted()). The card is powered off. Returns 0 and *OUT, or an error with a
 * message in ERR. */
int hw_open_qemu(hw_card **out, const hw_qemu_opts *o, const char *nvm_path, uint64_t seed,
                 char *err, size_t errlen);

/* Opens an in-process card on a private copy of the SIZE-byte image NVM, with the RNG
 * seed SEED. Powered off. */
int hw_open_host(hw_card **out, const uint8_t *nvm, uint32_t size, uint64_t seed, char *err,
                 size_t errlen);

/* Powers the card on (cold, or warm when WARM) and copies the ATR into ATR (CAP
 * bytes; 33 is enough), its length into *ATRLEN. */
int hw_power_on(hw_card *c, int warm, uint8_t *atr, size_t cap, size_t *atrlen);
/* Powers the card off; volatile state is lost. */
int hw_power_off(hw_card *c);

/* Sends one command APDU and waits for the response (data || SW) in RSP (CAP >= 2). */
int hw_transmit(hw_card *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                size_t *rsplen);
/* hw_transmit() of the command in hex (blanks allowed); stores the status word in *SW
 * (RSP, RSPLEN may be NULL when only the SW matters). */
int hw_transmit_hex(hw_card *c, const char *hex, uint8_t *rsp, size_t *rsplen, uint16_t *sw);

/* QEMU only: sends one command APDU and does not wait for its answer (the power cut
 * comes while the card works on it). */
int hw_send(hw_card *c, const uint8_t *cmd, size_t len);

/* QEMU with icount: the instructions the image spent on the last command or power-on
 * (control code 0x20: timer ticks, converted at HW_ICOUNT_SHIFT). */
int hw_instructions(hw_card *c, uint64_t *instr);

/* In-process: what the card OS counted for the last command or power-on (cos_cost
 * since the operation began). */
int hw_work(const hw_card *c, cos_cost *w);

/* QEMU opened with hw_qemu_opts.cut: stops the virtual machine now (QMP `stop`, between two
 * instructions), saves the NVM region into NVM_OUT (pmemsave) and quits QEMU. RAM is
 * lost as at a power cut; the card can only be closed afterwards. */
int hw_cut(hw_card *c, const char *nvm_out);

/* In-process: the card's NVM image (HW_NVM_SIZE or the size it was opened with). */
const uint8_t *hw_host_nvm(const hw_card *c, size_t *size);

/* Closes the card. SAVE_PATH, when not NULL, receives the NVM image (QEMU: pmemsave,
 * then the emulator quits; in-process: the image bytes). Returns 0 or the error of
 * saving, with a message in ERR. C may be NULL. */
int hw_close(hw_card *c, const char *save_path, char *err, size_t errlen);

/* QEMU: how many times hw_open_qemu() had to start the emulator again because a fresh
 * one did not answer (the emulator's start, before the card ran anything). */
int hw_restarted(const hw_card *c);

/* The message of the last failed call on C. */
const char *hw_errmsg(const hw_card *c);

/* Parses hex digits (blanks ignored) into OUT (CAP bytes). Returns the byte count or
 * -1 (odd digit count, a non-hex character, too long). */
long hw_hex(const char *hex, uint8_t *out, size_t cap);
/* Formats N bytes as upper-case hex into OUT (2N + 1 bytes). */
char *hw_tohex(const uint8_t *b, size_t n, char *out);
/* The status word at the end of a response of N >= 2 bytes (0 otherwise). */
uint16_t hw_sw(const uint8_t *rsp, size_t n);

/* ---- a PBOC purchase, as a terminal performs it ------------------------------------- */

/* The PBOC purse ADF and the PSAM application, as the profiles install them. */
extern const uint8_t hw_purse_aid[9], hw_psam_aid[10];

typedef struct hw_purchase {
    /* in */
    uint32_t amount; /* fen */
    int capp;        /* composite purchase (type 09) with an UPDATE CAPP DATA CACHE */
    /* out: what the exchanges answered */
    uint8_t pub[30];   /* EF 0015 of the purse */
    uint8_t tid[6];    /* the PSAM's terminal id */
    uint8_t init[15];  /* INITIALIZE FOR PURCHASE: balance counter overdraft kv alg random */
    uint8_t sam[8];    /* INIT SAM FOR PURCHASE: terminal transaction number, MAC1 */
    uint8_t debit[21]; /* the DEBIT FOR PURCHASE command */
    uint8_t tac_mac2[8];
    uint16_t sw; /* the last status word */
    int stage;   /* 0 done; else the step that failed (hw_purchase_stage()) */
} hw_purchase;

/* Selects the purse and the PSAM, reads what the PSAM needs, sends INITIALIZE FOR
 * (CAPP) PURCHASE and INIT SAM FOR PURCHASE (and UPDATE CAPP DATA CACHE for CAPP),
 * and builds DEBIT FOR PURCHASE into P->debit: everything before the card's NVM
 * changes. Both cards must be powered. Returns 0, HW_ERR_CARD with P->stage and P->sw
 * when a status word was not 9000, or a link error. */
int hw_purchase_begin(hw_card *card, hw_card *psam, hw_purchase *p);
/* The commands of a purchase, from what P holds so far: INITIALIZE FOR (CAPP)
 * PURCHASE from amount, capp and tid (17 bytes); INIT SAM FOR PURCHASE from init and
 * pub as well (42 bytes); DEBIT FOR PURCHASE from sam, into P->debit. The date and
 * time are hw_purchase_when. */
size_t hw_init_cmd(const hw_purchase *p, uint8_t out[17]);
size_t hw_init_sam_cmd(const hw_purchase *p, uint8_t out[42]);
void hw_debit_cmd(hw_purchase *p);
extern const uint8_t hw_purchase_when[7];

/* Sends DEBIT FOR PURCHASE and CREDIT SAM FOR PURCHASE (the PSAM checks MAC2). */
int hw_purchase_end(hw_card *card, hw_card *psam, hw_purchase *p);
/* The 48 bytes of trip data a CAPP purchase of AMOUNT caches (and commits into record 1
 * of EF 0017 with the debit). */
void hw_purchase_capp_record(uint32_t amount, uint8_t rec[48]);
/* A word for P->stage: "select", "read", "psam", "init", "init-sam", "capp", "debit",
 * "credit-sam". */
const char *hw_purchase_stage(int stage);
/* Offsets into hw_purchase.init (PBOC 2.0 part 1: INITIALIZE FOR PURCHASE response). */
#define HW_INIT_BALANCE 0
#define HW_INIT_COUNTER 4
#define HW_INIT_RANDOM  11

uint32_t hw_get32(const uint8_t *p);
uint16_t hw_get16(const uint8_t *p);

#endif
