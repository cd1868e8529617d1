/*
 * obol CLI: vpcd client connections (vpcd.h): non-blocking connect with a backoff,
 * framing of the input, one-send frames out, and the socket options that keep an
 * APDU round trip at tens of microseconds instead of 40 ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vpcd.h"

#define BACKOFF_FIRST 100
#define BACKOFF_MAX   2000

int64_t vpcd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vpcd_init(vpcd_conn *c, const char *addr, unsigned default_port)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->backoff = BACKOFF_FIRST;
    const char *colon = strrchr(addr, ':');
    const char *port = NULL;
    size_t hostlen = strlen(addr);
    if (colon != NULL) {
        hostlen = (size_t)(colon - addr);
        port = colon + 1;
    } else if (addr[0] != '\0' && strspn(addr, "0123456789") == strlen(addr)) {
        hostlen = 0;
        port = addr;
    }
    if (hostlen >= sizeof(c->host))
        return -1;
    memcpy(c->host, addr, hostlen);
    c->host[hostlen] = '\0';
    if (hostlen == 0)
        snprintf(c->host, sizeof(c->host), "127.0.0.1");
    if (port != NULL) {
        char *end;
        unsigned long v = strtoul(port, &end, 10);
        if (*port == '\0' || *end != '\0' || v == 0 || v > 65535)
            return -1;
        snprintf(c->port, sizeof(c->port), "%lu", v);
    } else {
        snprintf(c->port, sizeof(c->port), "%u", default_port);
    }
    if ((c->buf = malloc(2 + VPCD_FRAME_MAX)) == NULL)
        return -2;
    c->retry_at = vpcd_now_ms();
    return 0;
}

void vpcd_free(vpcd_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

static void set_options(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
#ifdef TCP_QUICKACK
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#endif
}

void vpcd_drop(vpcd_conn *c, int64_t now, int retry)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = VPCD_IDLE;
    c->have = c->taken = 0;
    if (retry) {
        c->retry_at = now + c->backoff;
        if (c->backoff < BACKOFF_MAX)
            c->backoff = c->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : c->backoff * 2;
    }
}

static void connected(vpcd_conn *c)
{
    c->state = VPCD_CONNECTED;
    c->backoff = BACKOFF_FIRST;
    c->failures = 0;
    c->have = c->taken = 0;
    set_options(c->fd);
}

int vpcd_try_connect(vpcd_conn *c, int64_t now)
{
    if (c->state != VPCD_IDLE || now < c->retry_at)
        return 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(c->host, c->port, &hints, &ai) != 0 || ai == NULL) {
        c->failures++;
        vpcd_drop(c, now, 1);
        return 0;
    }
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc = c->fd < 0 ? -1 : connect(c->fd, ai->ai_addr, ai->ai_addrlen);
    int e = errno;
    freeaddrinfo(ai);
    if (rc == 0) {
        connected(c);
        return 1;
    }
    if (c->fd >= 0 && e == EINPROGRESS) {
        c->state = VPCD_CONNECTING;
        return 0;
    }
    c->failures++;
    vpcd_drop(c, now, 1);
    return 0;
}

int vpcd_pollfd(const vpcd_conn *c, short *events)
{
    *events = c->state == VPCD_CONNECTING ? POLLOUT : POLLIN;
    return c->state == VPCD_IDLE ? -1 : c->fd;
}

int vpcd_ready(vpcd_conn *c, short revents, int64_t now)
{
    if (c->state == VPCD_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
            return 0;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            c->failures++;
            vpcd_drop(c, now, 1);
            return -1;
        }
        connected(c);
        return 1;
    }
    if (c->state != VPCD_CONNECTED || !(revents & (POLLIN | POLLERR | POLLHUP)))
        return 0;
    /* compact what vpcd_next_frame() has handed out */
    if (c->taken > 0) {
        memmove(c->buf, c->buf + c->taken, c->have - c->taken);
        c->have -= c->taken;
        c->taken = 0;
    }
#ifdef TCP_QUICKACK
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#endif
    ssize_t k = recv(c->fd, c->buf + c->have, 2 + VPCD_FRAME_MAX - c->have, 0);
    if (k < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (k <= 0) {
        /* vpcd closed the link: pcscd stopped or restarts. Reconnect soon. */
        c->backoff = BACKOFF_FIRST;
        vpcd_drop(c, now, 1);
        return -1;
    }
    c->have += (size_t)k;
    return 0;
}

int vpcd_next_frame(vpcd_conn *c, const uint8_t **msg, size_t *len)
{
    if (c->state != VPCD_CONNECTED)
        return 0;
    size_t avail = c->have - c->taken;
    const uint8_t *p = c->buf + c->taken;
    if (avail < 2)
        return 0;
    size_t n = (size_t)p[0] << 8 | p[1];
    if (avail < 2 + n)
        return 0;
    *msg = p + 2;
    *len = n;
    c->taken += 2 + n;
    return 1;
}

int vpcd_send(vpcd_conn *c, const uint8_t *payload, size_t len, int64_t now)
{
    uint8_t stackbuf[2 + 1024];
    uint8_t *out = len <= 1024 ? stackbuf : malloc(2 + len);
    if (c->state != VPCD_CONNECTED || len > VPCD_FRAME_MAX || out == NULL) {
        if (out != stackbuf)
            free(out);
        return -1;
    }
    out[0] = (uint8_t)(len >> 8);
    out[1] = (uint8_t)len;
    if (len > 0)
        memcpy(out + 2, payload, len);
    size_t off = 0, total = 2 + len;
    int rc = 0;
    while (off < total) {
        ssize_t k = send(c->fd, out + off, total - off, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* the socket is non-blocking; a full send buffer is rare: wait for room */
            struct pollfd p = {.fd = c->fd, .events = POLLOUT};
            if (poll(&p, 1, 1000) > 0)
                continue;
        }
        if (k <= 0) {
            vpcd_drop(c, now, 1);
            rc = -1;
            break;
        }
        off += (size_t)k;
    }
    if (out != stackbuf)
        free(out);
    return rc;
}
