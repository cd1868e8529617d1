/*
 * obol test applet: a small native applet that exercises every applet service of the
 * card OS (objects, files, transactions, keys, shareable interfaces, transient RAM)
 * and tries to break the firewall. Used by tests/cos; never part of a product card.
 *
 * Commands (CLA 80-83; any other CLA is handed to the OS with COS_PROCESS_OS):
 *   80 10 hi lo Lc data   PUT: write data object hi||lo (created with Lc bytes)
 *                         inside a transaction; 6A80 if it exists with another size
 *   80 12 hi lo Le        GET: read data object hi||lo (6A88 absent)
 *   80 14 00 00 02 oid    PEEK: read 1 byte of the data object with id OID (a
 *                         handle forged from another instance's object): 6982 when
 *                         the firewall refuses, 9000 + data if it did not
 *   80 16 00 00 02 oid    PEEK EF: read 4 bytes of the transparent EF with id OID
 *   80 18 if 00 Lc aid    GRANT interface IF to client AID
 *   80 1A if 00 Lc aid    CALL interface IF of server AID: its answer, 6982 refused
 *   80 1C P1 id 01 v      TXN: P1 0 write v twice then commit, 1 abort, 2 return with
 *                         the transaction open, 3 return a fault (negative)
 *   80 2E 00 00           FAULT: return COS_ERR_APPLET (the OS answers 6F00)
 *   80 20 00 00 04 amt    CREDIT: balance (object C0, 4 bytes) += amt and a record
 *                         (balance, amt) appended to the cyclic EF SFI 1, atomically;
 *                         returns the new balance
 *   80 22 P1 00 ...       RAM: P1 0 stores Lc bytes in transient RAM, P1 1 returns 8
 *   80 24 00 00           SELECTS: how often select() ran on this channel (RAM byte)
 * install(): creates the cyclic EF 0101 (SFI 1, 4 x 8), the transparent EF 0102
 * (SFI 2, 16 bytes, read always / update always) and data object 0001 holding the
 * install parameters.
 */
#ifndef OBOL_TESTAPP_H
#define OBOL_TESTAPP_H

#include "obol/cos_applet.h"

#define TESTAPP_CLASS 0x7F01u

extern const cos_applet_class testapp_class;

#endif
