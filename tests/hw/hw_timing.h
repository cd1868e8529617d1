/*
 * tests/hw: the card image's cost per command, for the timing model.
 *
 * hw_timing_measure() runs the image under QEMU with `-icount shift=0` (one
 * instruction per virtual nanosecond) side by side with the in-process card (same
 * image bytes, same RNG seed; every answer is compared), sends the main commands one
 * by one and reads after each the image's cost (control code 0x20) and the in-process
 * card's cost counters (cos_cost). hw_timing_fit() fits the chip profile's linear
 * model (sim_chip_time(): a cost per APDU, per cipher block, per NVM write call, per
 * NVM byte, per random byte) to the instructions, without negative coefficients.
 * hw_timing_write_profile() converts instructions to time at a stated clock and CPI
 * and writes a chip profile (scenarios/profile.xsd) whose every parameter says where
 * it came from: the image, or a datasheet (NVM page programming, which the image on
 * QEMU's RAM cannot show).
 */
#ifndef OBOL_TESTS_HW_TIMING_H
#define OBOL_TESTS_HW_TIMING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hwlib.h"

#define HW_TIMING_MAX 24
/* Commands this long are the ones that decide a transaction's time. */
#define HW_BIG_INSTR 10000

/* The model's variables, in order: the columns of the fit. */
enum { HW_X_APDU, HW_X_BLOCK, HW_X_WRITE, HW_X_BYTE, HW_X_RNG, HW_X_N };

typedef struct hw_cmd_cost {
    char name[32];    /* the benchmark's name: select, debit_purchase, ... */
    char what[96];    /* the command, in words */
    char profile[32]; /* the card it ran on */
    uint64_t instr;   /* instructions on the image */
    cos_cost work;    /* what the card OS counted in process */
    uint16_t sw;
} hw_cmd_cost;

typedef struct hw_timing {
    hw_cmd_cost cmd[HW_TIMING_MAX];
    size_t n;
    uint64_t power_on_instr; /* cold power-on of the purse card (recovery check, ATR) */
    cos_cost power_on_work;
    /* the fit: instructions per unit of each variable, and how well it fits */
    double coef[HW_X_N];
    double max_rel_err;  /* largest |model - measured| / measured over the commands */
    double big_err;      /* the same over the commands of HW_BIG_INSTR instructions or more */
    double purchase_err; /* |model - measured| / measured over a purchase's card commands
                            (select, read_binary, init_purchase, debit_purchase) */
    char date[16];       /* when it was measured (YYYY-MM-DD, UTC) */
} hw_timing;

/* Measures the commands on the image ELF (NULL: hw_elf_default()). The purse card is
 * PURSE_PROFILE (purse-funded), the card manager's commands run on GP_PROFILE
 * (multiapp; NULL skips them). Returns 0, or an error with a message in ERR (a
 * divergence between the image and the in-process card is HW_ERR_DIVERGE). */
int hw_timing_measure(const char *elf, const char *purse_profile, const char *gp_profile,
                      hw_timing *t, char *err, size_t errlen);

/* Fits T's coefficients (non-negative least squares over the commands). */
void hw_timing_fit(hw_timing *t);

/* Instructions the fitted model gives for work W. */
double hw_timing_model(const hw_timing *t, const cos_cost *w);

/* Writes a chip profile for a chip at MHZ with CPI cycles per instruction into F. */
void hw_timing_write_profile(const hw_timing *t, double mhz, double cpi, FILE *f);

#endif
