/*
 * obol card OS: the hardware abstraction layer.
 *
 * Everything the chip provides reaches the card OS through one ops struct that a
 * port fills in (as SQLite's VFS): NVM read/write/erase, the crypto engine, the
 * random number generator. The ops are constant and shared by every card of a
 * port; each card passes its own port context (`port`, e.g. which NVM image) as the
 * first argument. The card OS never reads a clock: the caller passes the time into
 * cos_power_on() and cos_transmit().
 *
 * Cost counters (cos_cost) are kept in each card and counted by the card OS itself
 * at its calls into the HAL, so a port need not count anything; the simulator turns
 * them into time with a chip profile.
 *
 * Ports: cardsim/port/host (memory or file NVM, power-loss injection, seeded RNG) and
 * later cardsim/port/cortexm.
 */
#ifndef OBOL_COS_HAL_H
#define OBOL_COS_HAL_H

#include <stddef.h>
#include <stdint.h>

/* Modes of a block cipher operation (cos_cipher_op.mode). */
#define COS_CIPHER_ENCRYPT 0x01u
#define COS_CIPHER_DECRYPT 0x00u
#define COS_CIPHER_ECB     0x00u
#define COS_CIPHER_CBC     0x10u

/* One block cipher call. KEY is the raw key (DES 8/16/24 bytes, AES 16/24/32, SM4
 * 16); IN and OUT are LEN bytes (a multiple of the block size) and may be the same
 * buffer; IV (a block) is used and updated in place for CBC and ignored for ECB. */
typedef struct cos_cipher_op {
    const uint8_t *key;
    size_t keylen;
    unsigned mode;
    uint8_t *iv;
    const uint8_t *in;
    uint8_t *out;
    size_t len;
} cos_cipher_op;

/*
 * The ops a port provides. Every function returns 0 on success or a negative
 * COS_ERR_* code; it is called only from the card OS and only with arguments the OS
 * has checked (offsets within the image the port declared in cos_card_config).
 */
typedef struct cos_hal {
    /* Copies LEN bytes at OFF of the NVM image into BUF. */
    int (*nvm_read)(void *port, uint32_t off, void *buf, size_t len);
    /* Writes LEN bytes at OFF. The image is byte-writable like EEPROM: any range may
     * be rewritten (a flash port emulates that beneath). The bytes land in order, so
     * a write interrupted by power loss leaves a prefix of them written. A port that
     * detects (or injects) power loss returns COS_ERR_POWER_LOST, and from then on
     * the card OS writes nothing more until the next cos_power_on(). */
    int (*nvm_write)(void *port, uint32_t off, const void *buf, size_t len);
    /* Sets LEN bytes at OFF to the erased value 0xFF (used by cos_format()). May be
     * NULL: the OS then writes 0xFF bytes through nvm_write. */
    int (*nvm_erase)(void *port, uint32_t off, size_t len);
    /* Fills BUF with LEN random bytes (a TRNG on a chip; seeded and reproducible in
     * the host port). */
    int (*rng)(void *port, uint8_t *buf, size_t len);
    /* Crypto engine entry points. NULL means obol's soft crypto (cos_crypto.h). */
    int (*des)(void *port, const cos_cipher_op *op);
    int (*aes)(void *port, const cos_cipher_op *op);
    int (*sm4)(void *port, const cos_cipher_op *op);
} cos_hal;

/*
 * Cost counters of one card, cumulative since cos_card_attach() or the last
 * cos_cost_reset(). The card OS counts at its HAL calls: a transaction's NVM journal
 * writes count like any other write.
 */
typedef struct cos_cost {
    uint32_t apdus;         /* command APDUs handled (including malformed ones) */
    uint32_t nvm_writes;    /* nvm_write/nvm_erase calls */
    uint32_t nvm_bytes;     /* bytes written or erased */
    uint32_t nvm_pages;     /* NVM pages touched, summed over the writes */
    uint32_t crypto_blocks; /* cipher blocks: 8-byte DES (3DES counts 1) and 16-byte AES/SM4 */
    uint32_t rng_bytes;     /* random bytes drawn */
} cos_cost;

#endif /* OBOL_COS_HAL_H */
