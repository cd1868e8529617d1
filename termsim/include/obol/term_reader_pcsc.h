/*
 * obol terminal kernel: the PC/SC reader backend (pcsc-lite's winscard API).
 *
 * A term_pcsc is a term_reader (term_reader.h) whose card sits in a PC/SC reader:
 * a real card in a real reader, or obol's own card presented through vsmartcard's
 * vpcd (`obol card serve`). The same gate, bus and POS flows then run against it
 * unchanged: the kernel sees only the four reader operations.
 *
 *   present    SCardGetStatusChange (no wait): a card is in the reader
 *   power on   SCardConnect (shared, T=0 or T=1) and SCardReconnect with
 *              SCARD_UNPOWER_CARD, so every power on is a cold reset; ATR from SCardStatus
 *   power off  SCardDisconnect with SCARD_UNPOWER_CARD
 *   transmit   SCardTransmit with the protocol's PCI
 *
 * Time: a real reader takes real time, so ELAPSED is measured (CLOCK_MONOTONIC) and the
 * kernel's clock advances by it; the NOW a call gets is not used.
 *
 * Errors: SCARD_* codes become TERM_ERR_NO_CARD (no card, not powered), TERM_ERR_CARD_LOST
 * (removed or reset by someone else mid-transaction), TERM_ERR_BUFFER or TERM_ERR_READER;
 * term_pcsc_errmsg() keeps the last PC/SC message. The library links libpcsclite
 * (pkg-config libpcsclite); it is not part of obol_term, which needs no PC/SC.
 */
#ifndef OBOL_TERM_READER_PCSC_H
#define OBOL_TERM_READER_PCSC_H

#include <stddef.h>

#include "obol/term_reader.h"

typedef struct term_pcsc term_pcsc;

/* Opens the PC/SC reader PCSC_NAME: its exact name, else a unique part of it, else its
 * index in the reader list ("0", "1"...). NAME is the reader's name for the kernel and
 * its traces (cut to 31 characters; NULL: the PC/SC name); IFACE is TERM_IF_CONTACT or
 * TERM_IF_CONTACTLESS, as the terminal uses the reader. Returns 0 and *OUT, or
 * TERM_ERR_READER (pcscd not running, no such reader: the message in ERR, which lists
 * the readers there are; ERR may be NULL), TERM_ERR_ARG or TERM_ERR_NOMEM. */
int term_pcsc_open(term_pcsc **out, const char *pcsc_name, const char *name, unsigned iface,
                   char *err, size_t errlen);

/* The reader to hand to the kernel (term_config.card / .psam). Valid until close. */
term_reader *term_pcsc_reader(term_pcsc *p);

/* The full PC/SC name of the reader. */
const char *term_pcsc_name(const term_pcsc *p);

/* The last PC/SC failure as text ("" when none). */
const char *term_pcsc_errmsg(const term_pcsc *p);

/* Powers the card off, releases the PC/SC context and frees P. NULL is a no-op. */
void term_pcsc_close(term_pcsc *p);

#endif /* OBOL_TERM_READER_PCSC_H */
