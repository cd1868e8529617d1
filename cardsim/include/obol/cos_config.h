/*
 * obol card OS: compile-time sizes.
 *
 * Every RAM buffer of the card OS has its size here, so one header decides how much
 * RAM a card needs (sizeof(cos_card)) and the Cortex-M image and the host simulator
 * can differ only by configuration. A build may override any value with -D, or put
 * its overrides in a file named by COS_CONFIG_FILE (as TinyUSB's tusb_config.h).
 */
#ifndef OBOL_COS_CONFIG_H
#define OBOL_COS_CONFIG_H

#ifdef COS_CONFIG_FILE
#include COS_CONFIG_FILE
#endif

/* Logical channels including the basic channel 0. The first interindustry CLA codes
 * channels 0-3 (ISO/IEC 7816-4:2020, 5.4), so 4 is the natural maximum here;
 * channels 4-19 (further interindustry CLA) answer 6881. */
#ifndef COS_CHANNELS
#define COS_CHANNELS 4
#endif

/* Response data bytes the card can build for one command (and keep for GET
 * RESPONSE). Extended Le asking for more receives at most this many. */
#ifndef COS_RESP_MAX
#define COS_RESP_MAX 512
#endif

/* Transient RAM per logical channel for the applet selected on it (cleared at
 * selection, kept across its APDUs). SCP03 state needs about 90 bytes. */
#ifndef COS_APPLET_RAM
#define COS_APPLET_RAM 96
#endif

/* Verified PINs and authenticated keys remembered per channel. */
#ifndef COS_SEC_SLOTS
#define COS_SEC_SLOTS 4
#endif

/* Journal bytes reserved by cos_format() when the caller does not say. A transaction
 * needs 6 bytes plus the old content of each location it overwrites (not of space
 * it allocates), so 512 covers one short APDU's worth of data (255 bytes) twice, or
 * an extended UPDATE BINARY of up to 504 bytes. */
#ifndef COS_JOURNAL_DEFAULT
#define COS_JOURNAL_DEFAULT 512
#endif

/* Ranges allocated inside one transaction whose previous content needs no undo. */
#ifndef COS_TXN_FRESH
#define COS_TXN_FRESH 4
#endif

/* Nesting of shareable-interface calls (client -> server -> server). */
#ifndef COS_SHARE_DEPTH
#define COS_SHARE_DEPTH 2
#endif

/* Fixed limits of the NVM format (changing them changes the format). */
#define COS_AID_MAX   16 /* AID / DF name bytes, ISO/IEC 7816-4:2020, 12.3.4 */
#define COS_FCI_MAX   64 /* proprietary FCI bytes (content of tag A5) per DF */
#define COS_PIN_MAX   16 /* reference data (PIN) bytes */
#define COS_KEY_MAX   32 /* key bytes (AES-256) */
#define COS_NVM_ALIGN 4  /* object alignment; object ids are offsets / 4 */

#endif /* OBOL_COS_CONFIG_H */
