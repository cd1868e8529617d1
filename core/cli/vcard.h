/*
 * obol CLI: a virtual card the commands drive (serve, replay, conform): obol's card OS
 * in this process on the host port, or the Cortex-M3 card image under QEMU.
 *
 * Both speak the same five operations (power on cold or warm, power off, the last
 * ATR, transmit an APDU), so `obol card serve` relays vpcd's frames to either, and
 * replay and the conformance suite compare them. A card's NVM lives in memory or in
 * an image file that persists across runs; a new image is personalized from a profile
 * (or as the default test card). The QEMU image's NVM is the same format: the host
 * personalizes a 64 KB image file, QEMU loads it with `-device loader` and the harness
 * saves it back with QMP pmemsave when the card is closed.
 *
 * Errors: 0 or a negative VCARD_ERR_* code; vcard_errmsg() holds the last message.
 */
#ifndef OBOL_CLI_VCARD_H
#define OBOL_CLI_VCARD_H

#include <stddef.h>
#include <stdint.h>

enum {
    VCARD_ERR_USAGE = -1, /* a bad spec: unknown profile, unreadable image, no QEMU */
    VCARD_ERR_CARD = -2,  /* the card faulted or did not answer */
    VCARD_ERR_IO = -3,    /* the link to QEMU failed */
    VCARD_ERR_NOMEM = -4,
};

/* The NVM size of the Cortex-M image (its linker script's NVM region). */
#define VCARD_QEMU_NVM_SIZE 65536u
#define VCARD_DEFAULT_NVM   32768u

typedef struct vcard_spec {
    const char *name;    /* for messages and traces (not copied: must outlive the card) */
    const char *profile; /* profile name or path; NULL: the default test card */
    const char *image;   /* NVM image file (created and personalized when missing) or NULL */
    uint64_t seed;       /* the card's RNG seed */
    uint64_t serial;     /* serial override for the profile, 0 none */
    uint32_t nvm_size;   /* bytes of NVM of a new in-process card (0: VCARD_DEFAULT_NVM) */
    int qemu;            /* run the Cortex-M image under QEMU */
    const char *elf;     /* QEMU: the image (NULL: $OBOL_CARD_ELF or the build's default) */
} vcard_spec;

typedef struct vcard vcard;

/* Opens the card SPEC describes (powered off). For QEMU this starts the emulator
 * and waits for the image's first answer. Returns 0 and *OUT, or a VCARD_ERR_* code
 * with a one-line message in ERR. */
int vcard_open(vcard **out, const vcard_spec *spec, char *err, size_t errlen);

/* Powers the card on (cold, or warm when WARM) and returns its ATR in *ATR (owned by
 * the card, valid until the next power on) and *ATRLEN. */
int vcard_power_on(vcard *c, int warm, const uint8_t **atr, size_t *atrlen);
/* Powers the card off: volatile state is lost, NVM kept. */
int vcard_power_off(vcard *c);
/* The ATR of the last power on (a card opened but never powered has one too: vcard_open
 * powers it on and off once to learn it). */
void vcard_atr(const vcard *c, const uint8_t **atr, size_t *atrlen);
int vcard_is_powered(const vcard *c);

/* Sends one command APDU; the response (data || SW) goes to RSP (CAP >= 2 bytes). A
 * card that is off answers nothing: VCARD_ERR_CARD. */
int vcard_transmit(vcard *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                   size_t *rsplen);

/* Powers the card off, saves its image (QEMU: pmemsave, then the emulator quits) and
 * frees it. Returns 0 or the error of saving (message in ERR). C may be NULL. */
int vcard_close(vcard *c, char *err, size_t errlen);

const char *vcard_name(const vcard *c);
const char *vcard_errmsg(const vcard *c);
/* "in-process" or "qemu". */
const char *vcard_kind(const vcard *c);

/* Parses "key=value,..." card specs of the command line into SPEC (pointers into the
 * string S, which is modified and must outlive SPEC): profile=, image=, seed=,
 * serial=, nvm=, name=, qemu, elf=, and for serve the vpcd address (returned in
 * *VPCD, NULL when absent). A first item without '=' is the profile. Returns 0 or -1
 * with a message in ERR. */
int vcard_spec_parse(char *s, vcard_spec *spec, const char **vpcd, char *err, size_t errlen);

/* ---- internal: the QEMU backend (vcard_qemu.c) ---------------------------------- */

typedef struct vcard__qemu vcard__qemu;
int vcard__qemu_start(vcard__qemu **out, const char *elf, const char *nvm_path, uint64_t seed,
                      char *err, size_t errlen);
/* As vcard__qemu_start(), with EXTRA (NULL-terminated, at most VCARD_QEMU_EXTRA_MAX
 * words, NULL for none) added to QEMU's command line: the hardware tests' -icount and
 * -singlestep. The strings need to live only for the call. */
#define VCARD_QEMU_EXTRA_MAX 8
int vcard__qemu_start_args(vcard__qemu **out, const char *elf, const char *nvm_path, uint64_t seed,
                           const char *const *extra, char *err, size_t errlen);
/* Sends one frame to the image; when REPLY, waits for the answer frame into BUF. */
int vcard__qemu_frame(vcard__qemu *q, const uint8_t *msg, size_t len, int reply, uint8_t *buf,
                      size_t cap, size_t *got, char *err, size_t errlen);
/* Saves the NVM region into SAVE_PATH (NULL: not saved) and stops the emulator. */
int vcard__qemu_stop(vcard__qemu *q, const char *save_path, char *err, size_t errlen);

#endif
