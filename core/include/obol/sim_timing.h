/*
 * obol core: the timing model. A transaction's simulated duration is the sum of what
 * it really costs (DESIGN.md, "Timing model"):
 *   - the air interface, ISO/IEC 14443 at 106/212/424/848 kbit/s: bits per byte,
 *     start and end of frame, CRC, frame delay times, activation (REQA to ATS), frame
 *     waiting time with waiting-time extensions when the card works longer;
 *   - the contact interface to the PSAM, ISO/IEC 7816-3 T=0: characters of 12 etu at
 *     the negotiated F/D, procedure bytes, GET RESPONSE for case 4, turnaround;
 *   - card work, measured by the card OS's HAL cost counters and converted with a
 *     chip profile (NVM page writes, cipher blocks, APDU dispatch);
 *   - terminal processing (per APDU, per transaction, journal, blacklist lookup).
 * Every constant is a profile parameter loaded from a data file that names its source
 * (scenarios/profiles/NAME.xml); this file has formulas only.
 */
#ifndef OBOL_SIM_TIMING_H
#define OBOL_SIM_TIMING_H

#include <stddef.h>
#include <stdint.h>

#include "obol/sim.h"

/* Card work as counted by the card OS (cos_cost of cos_hal.h, as a difference). */
typedef struct sim_work {
    uint32_t apdus, nvm_writes, nvm_bytes, nvm_pages, crypto_blocks, rng_bytes;
} sim_work;

/* A chip profile: what each counted operation costs on a given chip. Microseconds. */
typedef struct sim_chip {
    double apdu_us;         /* OS dispatch, parsing and response building per APDU */
    double nvm_write_us;    /* fixed cost of one NVM write call (setup, verify) */
    double nvm_page_us;     /* programming one NVM page */
    double nvm_byte_us;     /* per byte written (buffer load) */
    double cipher_block_us; /* one DES/3DES (8 bytes) or AES/SM4 (16 bytes) block */
    double rng_byte_us;     /* one byte from the TRNG */
    double power_on_us;     /* power-on reset, NVM recovery check, ATR/ATS ready */
    double nvm_page_bytes;  /* NVM page size: how the card OS counts pages touched */
} sim_chip;

/* ISO/IEC 14443 (type A framing) parameters. Times in carrier cycles (1/fc) where the
 * standard gives them so. */
typedef struct sim_air {
    double fc_hz;         /* carrier 13.56 MHz */
    double etu_fc_106;    /* carrier cycles per bit at 106 kbit/s (128) */
    double bits_per_byte; /* 8 data bits + odd parity (type A) */
    double sof_bits, eof_bits;
    double crc_bytes;        /* CRC_A */
    double prologue_bytes;   /* PCB (no CID, no NAD) */
    double fdt_picc_fc;      /* PCD frame end to PICC answer, minimum */
    double fdt_pcd_fc;       /* PICC frame end to the next PCD frame, minimum */
    double request_guard_fc; /* between two REQA */
    double power_up_us;      /* field on to the PICC ready for REQA */
    double activation_pcd_bytes, activation_picc_bytes, activation_frames; /* REQA..ATS */
    double sfgt_us;        /* start-up frame guard time after the ATS */
    double fwi;            /* frame waiting integer announced in the ATS */
    double fwt_unit_fc;    /* FWT = fwt_unit_fc * 2^FWI / fc (256 * 16) */
    double wtx_bytes;      /* S(WTX) request and response: PCB + INF */
    double deselect_bytes; /* S(DESELECT) and its answer: PCB */
    double frame_error;    /* probability that a frame is corrupted in the field */
} sim_air;

/* ISO/IEC 7816-3 T=0 parameters (the PSAM slot, or a contact card). */
typedef struct sim_contact {
    double clock_hz;        /* f: clock on CLK */
    double fi, di;          /* the negotiated F and D: 1 etu = F / (D f) */
    double char_etu;        /* start + 8 data + parity + guard time (12 etu) */
    double turnaround_etu;  /* minimum delay when the direction changes */
    double header_bytes;    /* CLA INS P1 P2 P3 */
    double procedure_bytes; /* procedure byte (ACK) per command */
    double get_response;    /* 1: case 4 data comes back through 61xx + GET RESPONSE */
    double activation_us;   /* cold reset to the ATR received, PPS done */
} sim_contact;

/* Terminal processing. Microseconds. */
typedef struct sim_term {
    double txn_us;       /* application logic per transaction (kernel, UI, gate) */
    double apdu_us;      /* reader driver and kernel per APDU */
    double blacklist_us; /* one blacklist lookup */
    double journal_us;   /* one journal record committed (SQLite, flash) */
    double poll_us;      /* polling period: a card entering waits half of it */
} sim_term;

/* Duration of card work W on chip C. */
sim_time sim_chip_time(const sim_chip *c, const sim_work *w);

/* One bit (etu) at KBPS (106, 212, 424, 848) in nanoseconds, as a double. */
double sim_air_etu_ns(const sim_air *a, int kbps);
/* One ISO 14443-4 I-block exchange at KBPS: the command APDU of CMD bytes, the card
 * working for WORK, the response APDU of RSP bytes (data + SW), with S(WTX) exchanges
 * whenever the work exceeds FWT. Stores the number of WTX in *WTX when not NULL. */
sim_time sim_air_exchange(const sim_air *a, int kbps, size_t cmd, size_t rsp, sim_time work,
                          unsigned *wtx);
/* What error recovery adds to one exchange (ISO/IEC 14443-4, 7.5.4): a command the
 * card did not receive costs the frame waiting time, an R(NAK) and the command again;
 * a corrupted response costs an R(NAK) and the response again. */
sim_time sim_air_recovery(const sim_air *a, int kbps, size_t cmd, size_t rsp, int cmd_lost,
                          int rsp_bad);
/* Field on to the first I-block: power-up, REQA/ATQA, anticollision, SELECT/SAK,
 * RATS/ATS (at 106 kbit/s, as the standard requires) and SFGT. */
sim_time sim_air_activation(const sim_air *a);
/* S(DESELECT) exchange at the end. */
sim_time sim_air_deselect(const sim_air *a, int kbps);
/* FWT in nanoseconds. */
sim_time sim_air_fwt(const sim_air *a);

/* One etu of the contact interface, in nanoseconds. */
double sim_contact_etu_ns(const sim_contact *c);
/* One T=0 command: header, procedure byte, CMD data bytes (the APDU minus its header),
 * the card working for WORK, then RSP response bytes (data + SW; with GET RESPONSE
 * for data when the profile says so). CMD_DATA and RSP_DATA count data only. */
sim_time sim_contact_exchange(const sim_contact *c, size_t cmd_data, size_t rsp_data,
                              sim_time work);

/* Converts microseconds (a profile value) to virtual time, rounding to nanoseconds. */
sim_time sim_us(double us);

#endif /* OBOL_SIM_TIMING_H */
