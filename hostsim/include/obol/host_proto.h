/*
 * obol host platform: the terminal-host protocol (docs/host-protocol.md), version 1.
 *
 * Messages between a terminal (termsim, a real terminal later) and the platform are
 * byte buffers: a 12-byte header (magic "OH", protocol version, type, body length,
 * message id), the body, and a CRC-32 over both. This file encodes and decodes them
 * and nothing else: no I/O, no heap, no SQLite, no OpenSSL, so the terminal kernel
 * can link it alone (library obol_hostproto). host_server.h answers requests.
 *
 * Encoding: one host_proto_encode_*() per message type writes the whole frame to
 * (out, cap, *out_len); HOST_ERR_NOSPACE when CAP is too small (host_proto_*_size()
 * say how much is needed), HOST_ERR_ARG when a field is out of range.
 * Decoding: host_proto_decode() checks the frame and the whole body (every record of
 * a batch, every entry of a list) and fills a host_msg whose variable parts point
 * into the caller's buffer, so the buffer must outlive the host_msg. Anything
 * malformed returns HOST_ERR_BADMSG with a HOST_REASON_* in *reason; a host_msg that
 * decoded cleanly cannot fail in the accessors (host_proto_batch_txn() etc.).
 * Multi-byte numbers are big-endian; dates and times are BCD as the card MACs them.
 */
#ifndef OBOL_HOST_PROTO_H
#define OBOL_HOST_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_error.h"

enum {
    HOST_PROTO_VERSION = 1,
    HOST_PROTO_HDR = 12,      /* magic(2) version(1) type(1) body length(4) id(4) */
    HOST_PROTO_TRAILER = 4,   /* CRC-32 of header and body */
    HOST_PROTO_RECORD = 56,   /* one transaction record */
    HOST_PROTO_BL_ENTRY = 10, /* one blacklist entry: serial(8) op(1) reason(1) */
    HOST_PROTO_NOTE = 4,      /* one batch acknowledgement note: index(2) result(1) reason(1) */
    HOST_PROTO_MAX_BODY = 16 * 1024 * 1024,
    HOST_PROTO_MAX_RECORDS = 65535, /* records in one batch (the count is 2 bytes) */
    HOST_PROTO_MAX_APDU = 261       /* OTA command or response APDU */
};

/* Message types; a reply has the request's type with bit 7 set. */
enum host_msg_type {
    HOST_MSG_BATCH = 0x01,      /* terminal -> host: transaction batch upload */
    HOST_MSG_BL_REQ = 0x02,     /* blacklist request (full or delta by version) */
    HOST_MSG_PARAM_REQ = 0x03,  /* parameter request (fare table, terminal parameters) */
    HOST_MSG_LOAD_REQ = 0x04,   /* online load authorization (MAC1 in, MAC2 out) */
    HOST_MSG_OTA_FETCH = 0x05,  /* OTA: anything for this card? */
    HOST_MSG_OTA_RESULT = 0x06, /* OTA: the card's answer to the last command (or lost) */
    HOST_MSG_BATCH_ACK = 0x81,  /* host -> terminal */
    HOST_MSG_BL_REPLY = 0x82,
    HOST_MSG_PARAM_REPLY = 0x83,
    HOST_MSG_LOAD_REPLY = 0x84,
    HOST_MSG_OTA_COMMAND = 0x85, /* answers both OTA_FETCH and OTA_RESULT */
    HOST_MSG_ERROR = 0xFF        /* the request could not be decoded or served */
};

/* Reasons: why a message, batch, record or request was refused or flagged. One table
 * for the protocol, the exceptions table and the acknowledgements. Stable values. */
#define HOST_REASON_MAP(XX)                                                                        \
    XX(OK, 0, "accepted")                                                                          \
    XX(MAGIC, 1, "not a host protocol frame (bad magic)")                                          \
    XX(VERSION, 2, "unsupported protocol version")                                                 \
    XX(TYPE, 3, "unknown message type")                                                            \
    XX(LENGTH, 4, "length does not match the content")                                             \
    XX(CHECKSUM, 5, "checksum does not match")                                                     \
    XX(FIELD, 6, "field out of range (BCD date/time, reserved byte, enum)")                        \
    XX(UNKNOWN_TERMINAL, 7, "terminal not registered or not in service")                           \
    XX(TERMINAL_MISMATCH, 8, "record's terminal id differs from the batch's")                      \
    XX(UNKNOWN_CARD, 9, "card serial not issued")                                                  \
    XX(BAD_TAC, 10, "TAC does not verify")                                                         \
    XX(DUP_CARD_COUNTER, 11, "same card serial and counter already received")                      \
    XX(DUP_TERMINAL_TTN, 12, "same terminal id and transaction number already received")           \
    XX(BATCH_REPLAY, 13, "batch already received; acknowledged again")                             \
    XX(BATCH_CONFLICT, 14, "batch sequence reused with different content")                         \
    XX(BAD_BALANCE, 15, "balance before/after does not match the amount")                          \
    XX(UNKNOWN_KEY, 16, "no master key with this version")                                         \
    XX(BAD_TYPE, 17, "transaction type not supported")                                             \
    XX(BLACKLISTED, 18, "card is blacklisted")                                                     \
    XX(CARD_STATE, 19, "card is not active")                                                       \
    XX(LIMIT, 20, "amount or balance limit exceeded")                                              \
    XX(BAD_MAC1, 21, "MAC1 does not verify")                                                       \
    XX(NOT_FOUND, 22, "no such version or object")                                                 \
    XX(INTERNAL, 23, "host fault; retry later")                                                    \
    XX(COUNTER_GAP, 24, "card counter sequence has a gap")                                         \
    XX(OPERATOR_MISMATCH, 25, "record's operator differs from the terminal's")                     \
    XX(SESSION, 26, "no such OTA session or step out of order")                                    \
    XX(CARD_ERROR, 27, "card answered with an error status word")                                  \
    XX(LOST, 28, "no response from the card (it left the field)")

enum host_reason {
#define HOST__REASON_ENUM(name, value, msg) HOST_REASON_##name = (value),
    HOST_REASON_MAP(HOST__REASON_ENUM)
#undef HOST__REASON_ENUM
};

/* The reason's name without prefix ("BAD_TAC") and message; "?" / "unknown reason" for
 * values not in the table. Static strings. */
const char *host_reason_name(int reason);
const char *host_reason_str(int reason);

/* ---- transaction record ---------------------------------------------------------- */

/* One transaction as a terminal uploads it (56 bytes on the wire; layout in
 * docs/host-protocol.md). COUNTER is the card's offline counter for purchases and its
 * online counter for loads, as INITIALIZE returned it (before the card's increment).
 * For a purchase the TAC covers amount, type, terminal id, TTN, date and time; for a
 * load it covers the new balance (BALANCE_AFTER), the counter, amount, type, terminal
 * id, date and time. SERIAL is the card application serial's 8 bytes as a number,
 * TERMINAL the 6-byte terminal id as a number (< 2^48). */
typedef struct host_txn {
    uint64_t serial;
    uint8_t card_type;
    uint8_t type; /* HOST_PBOC_*: 01/02 load, 05/06 purchase, 09 composite purchase */
    uint16_t counter;
    uint32_t amount; /* fen */
    uint64_t terminal;
    uint32_t ttn;    /* terminal transaction number */
    uint8_t date[4]; /* YYYYMMDD, BCD */
    uint8_t time[3]; /* hhmmss, BCD */
    uint32_t balance_before;
    uint32_t balance_after;
    uint8_t tac[4];
    uint8_t key_version;
    uint8_t alg;
    uint16_t entry_station; /* transit: 0 = none */
    uint16_t exit_station;
    uint32_t operator_id;
} host_txn;

/* Record codec. Decode checks the BCD date and time, the type, the terminal id range
 * and the reserved byte; on failure *REASON (may be NULL) is HOST_REASON_FIELD. */
int host_txn_encode(const host_txn *t, uint8_t out[HOST_PROTO_RECORD]);
int host_txn_decode(const uint8_t in[HOST_PROTO_RECORD], host_txn *t, int *reason);

/* Helpers for the BCD date/time fields. host_bcd_date() returns YYYYMMDD as a number
 * (20261122) or 0 when not valid BCD of a plausible date; host_bcd_time() hhmmss or
 * -1. host_date_bcd()/host_time_bcd() go the other way (HOST_ERR_ARG when invalid). */
uint32_t host_bcd_date(const uint8_t d[4]);
int32_t host_bcd_time(const uint8_t t[3]);
int host_date_bcd(uint32_t yyyymmdd, uint8_t out[4]);
int host_time_bcd(uint32_t hhmmss, uint8_t out[3]);

/* ---- message bodies -------------------------------------------------------------- */

typedef struct host_msg_batch {
    uint64_t terminal;
    uint32_t seq;           /* batch sequence number, per terminal */
    uint32_t count;         /* records */
    const uint8_t *records; /* decode: COUNT encoded records in the buffer */
} host_msg_batch;

/* Batch acknowledgement status. ACCEPTED and REPEATED mean the host holds the batch
 * (the terminal may delete it); individual records may still have been refused (see
 * the notes). REJECTED means nothing of the batch was taken (REASON says why). */
enum { HOST_ACK_ACCEPTED = 0, HOST_ACK_REPEATED = 1, HOST_ACK_REJECTED = 2 };
/* Per-record results in the notes. */
enum {
    HOST_NOTE_ACCEPTED = 0,
    HOST_NOTE_DUPLICATE = 1,
    HOST_NOTE_REJECTED = 2,
    HOST_NOTE_FLAGGED = 3
};

typedef struct host_ack_note {
    uint16_t index; /* record index in the batch */
    uint8_t result; /* HOST_NOTE_* */
    uint8_t reason; /* HOST_REASON_* */
} host_ack_note;

typedef struct host_msg_batch_ack {
    uint64_t terminal;
    uint32_t seq;
    uint8_t status; /* HOST_ACK_* */
    uint8_t reason; /* HOST_REASON_*, for REJECTED */
    uint16_t records, accepted, duplicates, rejected;
    uint32_t n_notes;     /* notes for every record not plainly accepted */
    const uint8_t *notes; /* decode: N_NOTES encoded notes */
} host_msg_batch_ack;

enum { HOST_BL_DELTA = 0, HOST_BL_FULL = 1 };                        /* request mode */
enum { HOST_BL_CURRENT = 0, HOST_BL_LIST = 1, HOST_BL_CHANGES = 2 }; /* reply kind */
enum { HOST_BL_REMOVE = 0, HOST_BL_ADD = 1 };                        /* entry operation */

/* HAVE_VERSION is the version the terminal holds and has applied (0: none); the host
 * records it as the terminal's acknowledgement. */
typedef struct host_msg_bl_req {
    uint64_t terminal;
    uint32_t have_version;
    uint8_t mode; /* HOST_BL_DELTA (delta when possible) or HOST_BL_FULL */
} host_msg_bl_req;

typedef struct host_bl_entry {
    uint64_t serial;
    uint8_t op;     /* HOST_BL_ADD / HOST_BL_REMOVE (a full list has only ADD) */
    uint8_t reason; /* HOST_BLR_* of host_blacklist.h */
} host_bl_entry;

typedef struct host_msg_bl_reply {
    uint8_t status; /* 0 served, else refused with REASON */
    uint8_t reason;
    uint8_t kind;          /* HOST_BL_CURRENT (nothing to do), HOST_BL_LIST, HOST_BL_CHANGES */
    uint32_t from_version; /* CHANGES: applies on top of this version */
    uint32_t to_version;   /* the version the terminal holds after applying */
    uint32_t count;
    const uint8_t *entries; /* decode: COUNT encoded entries */
} host_msg_bl_reply;

enum { HOST_PARAM_FARE = 1, HOST_PARAM_TERMINAL = 2 };

typedef struct host_msg_param_req {
    uint64_t terminal;
    uint8_t kind;          /* HOST_PARAM_* */
    uint32_t have_version; /* 0: none; doubles as the acknowledgement */
} host_msg_param_req;

typedef struct host_msg_param_reply {
    uint8_t status; /* 0 served, else refused with REASON */
    uint8_t reason;
    uint8_t kind;
    uint32_t version;
    uint8_t current; /* 1: the terminal's version is current, no payload */
    uint32_t length;
    const uint8_t *payload; /* host_fare_decode() / host_term_params_decode() */
} host_msg_param_reply;

typedef struct host_msg_load_req {
    uint64_t terminal;
    uint64_t serial;
    uint8_t type; /* 01 ED or 02 EP load */
    uint8_t key_version;
    uint8_t alg;
    uint8_t random[4];       /* card random from INITIALIZE FOR LOAD */
    uint16_t online_counter; /* as INITIALIZE FOR LOAD returned it */
    uint32_t old_balance;
    uint32_t amount;
    uint8_t date[4];
    uint8_t time[3];
    uint8_t mac1[4];
    uint32_t ttn;
    uint32_t operator_id;
} host_msg_load_req;

enum { HOST_LOAD_APPROVED = 0, HOST_LOAD_DECLINED = 1 };

typedef struct host_msg_load_reply {
    uint64_t serial;
    uint16_t online_counter;
    uint8_t status; /* HOST_LOAD_* */
    uint8_t reason;
    uint8_t mac2[4]; /* zero when declined */
} host_msg_load_reply;

typedef struct host_msg_ota_fetch {
    uint64_t terminal;
    uint64_t serial;
} host_msg_ota_fetch;

enum { HOST_OTA_RESPONSE = 0, HOST_OTA_LOST = 1 }; /* result outcome */

typedef struct host_msg_ota_result {
    uint64_t terminal;
    uint64_t serial;
    uint32_t session;
    uint16_t step;
    uint8_t outcome; /* HOST_OTA_RESPONSE (RSP holds data || SW) or HOST_OTA_LOST */
    uint16_t length;
    const uint8_t *rsp;
} host_msg_ota_result;

/* OTA command status: SEND carries an APDU to transmit and answer with OTA_RESULT;
 * DONE ends the session (everything pending applied), NONE nothing pending, ABORTED
 * the session ended early (REASON; pending work is retried in a later session). */
enum { HOST_OTA_SEND = 0, HOST_OTA_DONE = 1, HOST_OTA_NONE = 2, HOST_OTA_ABORTED = 3 };

typedef struct host_msg_ota_command {
    uint64_t serial;
    uint32_t session;
    uint16_t step;
    uint8_t status; /* HOST_OTA_SEND, DONE, NONE, ABORTED */
    uint8_t reason;
    uint16_t length;
    const uint8_t *apdu;
} host_msg_ota_command;

typedef struct host_msg_error {
    uint8_t reason;   /* HOST_REASON_* */
    uint8_t req_type; /* the type of the refused request (0 when unknown) */
} host_msg_error;

/* A decoded message. ID is the request's message id, echoed in the reply. */
typedef struct host_msg {
    uint8_t version;
    uint8_t type;
    uint32_t id;
    union {
        host_msg_batch batch;
        host_msg_batch_ack ack;
        host_msg_bl_req bl_req;
        host_msg_bl_reply bl_reply;
        host_msg_param_req param_req;
        host_msg_param_reply param_reply;
        host_msg_load_req load_req;
        host_msg_load_reply load_reply;
        host_msg_ota_fetch ota_fetch;
        host_msg_ota_result ota_result;
        host_msg_ota_command ota_cmd;
        host_msg_error error;
    } u;
} host_msg;

/* ---- decoding -------------------------------------------------------------------- */

/* Checks and decodes the frame BUF of LEN bytes (exactly one frame). Returns 0, or
 * HOST_ERR_BADMSG with *REASON (may be NULL) set to MAGIC, VERSION, TYPE, LENGTH,
 * CHECKSUM or FIELD, or HOST_ERR_ARG for NULL pointers. On success *REASON is OK. */
int host_proto_decode(const uint8_t *buf, size_t len, host_msg *out, int *reason);

/* Peeks at a header: the frame length the first HOST_PROTO_HDR bytes announce (for
 * stream transports), or HOST_ERR_BADMSG (bad magic, version or length). */
int host_proto_frame_len(const uint8_t *hdr, size_t len, size_t *frame_len);

/* Element I of a decoded message's list (0 <= I < count). HOST_ERR_ARG when M is not
 * of the right type or I is out of range. */
int host_proto_batch_txn(const host_msg *m, size_t i, host_txn *out);
int host_proto_ack_note(const host_msg *m, size_t i, host_ack_note *out);
int host_proto_bl_entry(const host_msg *m, size_t i, host_bl_entry *out);

/* ---- encoding -------------------------------------------------------------------- */

/* Frame sizes for the variable messages. */
size_t host_proto_batch_size(size_t n_records);
size_t host_proto_ack_size(size_t n_notes);
size_t host_proto_bl_reply_size(size_t n_entries);
size_t host_proto_param_reply_size(size_t payload_len);

/* B->terminal and B->seq with the N records at TXNS (B->count and B->records unused). */
int host_proto_encode_batch(uint32_t id, const host_msg_batch *b, const host_txn *txns, size_t n,
                            uint8_t *out, size_t cap, size_t *out_len);
/* A's counters and status with the N notes at NOTES (A->n_notes/notes unused). */
int host_proto_encode_ack(uint32_t id, const host_msg_batch_ack *a, const host_ack_note *notes,
                          size_t n, uint8_t *out, size_t cap, size_t *out_len);
int host_proto_encode_bl_req(uint32_t id, const host_msg_bl_req *r, uint8_t *out, size_t cap,
                             size_t *out_len);
int host_proto_encode_bl_reply(uint32_t id, const host_msg_bl_reply *r, const host_bl_entry *e,
                               size_t n, uint8_t *out, size_t cap, size_t *out_len);
int host_proto_encode_param_req(uint32_t id, const host_msg_param_req *r, uint8_t *out, size_t cap,
                                size_t *out_len);
/* R's header fields with the LEN-byte PAYLOAD (R->length/payload unused). */
int host_proto_encode_param_reply(uint32_t id, const host_msg_param_reply *r,
                                  const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
                                  size_t *out_len);
int host_proto_encode_load_req(uint32_t id, const host_msg_load_req *r, uint8_t *out, size_t cap,
                               size_t *out_len);
int host_proto_encode_load_reply(uint32_t id, const host_msg_load_reply *r, uint8_t *out,
                                 size_t cap, size_t *out_len);
int host_proto_encode_ota_fetch(uint32_t id, const host_msg_ota_fetch *r, uint8_t *out, size_t cap,
                                size_t *out_len);
/* R->rsp/length give the response (ignored for HOST_OTA_LOST). */
int host_proto_encode_ota_result(uint32_t id, const host_msg_ota_result *r, uint8_t *out,
                                 size_t cap, size_t *out_len);
/* R->apdu/length give the command (only for HOST_OTA_SEND). */
int host_proto_encode_ota_command(uint32_t id, const host_msg_ota_command *r, uint8_t *out,
                                  size_t cap, size_t *out_len);
int host_proto_encode_error(uint32_t id, const host_msg_error *r, uint8_t *out, size_t cap,
                            size_t *out_len);

/* CRC-32 (IEEE 802.3, reflected, init and final XOR FFFFFFFF) as used in the trailer;
 * CRC is the running value (start with 0). */
uint32_t host_crc32(uint32_t crc, const uint8_t *p, size_t len);

#endif /* OBOL_HOST_PROTO_H */
