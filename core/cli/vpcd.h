/*
 * obol CLI: the card's end of vsmartcard's vpcd protocol, as a TCP client.
 *
 * vpcd (a pcsc-lite driver inside pcscd) listens on a TCP port per slot; a virtual
 * card connects to it and is "inserted" while connected. Every message, both ways, is
 * a 2-byte big-endian length and a payload; from vpcd a 1-byte payload is a control
 * code (VPCD_CTRL_*), anything longer a command APDU answered by the response APDU.
 * vpcd asks for the ATR about every 400 ms to see that the card is still there: a card
 * must always answer that. When pcscd restarts the connection drops; the card
 * reconnects with a short backoff (100 ms doubling to 2 s).
 *
 * Latency (PROTOCOLS.md): vpcd sends a frame's length and payload in two send()s,
 * which with a delayed ACK stalls each APDU ~40 ms; the socket therefore has
 * TCP_NODELAY, TCP_QUICKACK is set again before every recv() (Linux clears it), and
 * frames we send go out in one send().
 *
 * A connection is a small state machine driven by the caller's poll() loop:
 * vpcd_pollfd() says what to wait for, vpcd_due_ms() when to retry, vpcd_ready()
 * handles the event, vpcd_next_frame() hands out complete frames.
 */
#ifndef OBOL_CLI_VPCD_H
#define OBOL_CLI_VPCD_H

#include <stddef.h>
#include <stdint.h>

enum {
    VPCD_CTRL_OFF = 0,
    VPCD_CTRL_ON = 1,
    VPCD_CTRL_RESET = 2,
    VPCD_CTRL_ATR = 4,
};

#define VPCD_DEFAULT_PORT 35963
#define VPCD_FRAME_MAX    65535

typedef enum vpcd_state {
    VPCD_IDLE = 0,   /* not connected; a connect is due at retry_at */
    VPCD_CONNECTING, /* non-blocking connect in progress */
    VPCD_CONNECTED,
} vpcd_state;

typedef struct vpcd_conn {
    char host[256];
    char port[8];
    vpcd_state state;
    int fd;
    int64_t retry_at; /* ms (CLOCK_MONOTONIC) */
    int backoff;      /* ms until the next retry after a failure */
    int failures;     /* consecutive failed connects (for quieter logs) */
    uint8_t *buf;     /* 2 + VPCD_FRAME_MAX bytes of input being framed */
    size_t have;      /* bytes in BUF */
    size_t taken;     /* bytes of BUF handed out by vpcd_next_frame() */
} vpcd_conn;

/* Parses "HOST:PORT", ":PORT", "PORT" or "HOST" (PORT defaults to DEFAULT_PORT) into
 * C's address and makes C idle with a connect due now. Returns 0, -1 (bad address)
 * or -2 (out of memory). */
int vpcd_init(vpcd_conn *c, const char *addr, unsigned default_port);
void vpcd_free(vpcd_conn *c);

int64_t vpcd_now_ms(void);

/* Starts a connect when one is due at NOW (idle connections only). Returns 1 when the
 * connection is now established, 0 otherwise (connecting, or failed and rescheduled). */
int vpcd_try_connect(vpcd_conn *c, int64_t now);

/* The fd and poll events to wait for (-1 when idle). */
int vpcd_pollfd(const vpcd_conn *c, short *events);

/* Handles poll's REVENTS. Returns 1 when a pending connect just completed, 0 when
 * nothing changed (or input was buffered: call vpcd_next_frame()), -1 when the
 * connection failed or vpcd closed it (C is idle again, a reconnect scheduled). */
int vpcd_ready(vpcd_conn *c, short revents, int64_t now);

/* Hands out the next complete frame from the buffered input: returns 1 with *MSG
 * (valid until the next call on C) and *LEN, 0 when none is complete. */
int vpcd_next_frame(vpcd_conn *c, const uint8_t **msg, size_t *len);

/* Sends one frame (one send() for the length and payload). Returns 0 or -1 (the
 * connection was dropped and a reconnect scheduled). */
int vpcd_send(vpcd_conn *c, const uint8_t *payload, size_t len, int64_t now);

/* Closes the connection; when RETRY, a reconnect is scheduled 100 ms from NOW. */
void vpcd_drop(vpcd_conn *c, int64_t now, int retry);

#endif
