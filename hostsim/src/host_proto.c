/*
 * obol host platform: the terminal-host protocol codec (host_proto.h,
 * docs/host-protocol.md). Framing, CRC-32, the transaction record and every message
 * body; pure byte work with no allocation, shared with the terminal kernel through
 * the obol_hostproto library.
 */
#include <string.h>

#include "obol/host_proto.h"

/* The frame's magic: "OH" (obol host). */
static const uint8_t MAGIC[2] = {0x4F, 0x48};

/* Body sizes of the fixed parts (docs/host-protocol.md, "Messages"). */
enum {
    BATCH_FIXED = 14,
    ACK_FIXED = 22,
    BL_REQ_LEN = 11,
    BL_REPLY_FIXED = 15,
    PARAM_REQ_LEN = 11,
    PARAM_REPLY_FIXED = 12,
    LOAD_REQ_LEN = 50,
    LOAD_REPLY_LEN = 16,
    OTA_FETCH_LEN = 14,
    OTA_RESULT_FIXED = 23,
    OTA_COMMAND_FIXED = 18,
    ERROR_LEN = 2
};

/* CRC-32 table for the reflected polynomial EDB88320 (generated, then checked by the
 * test "crc32 check value": CRC of "123456789" is CBF43926). */
static const uint32_t CRC_TABLE[256] = {
    0x00000000u, 0x77073096u, 0xEE0E612Cu, 0x990951BAu, 0x076DC419u, 0x706AF48Fu, 0xE963A535u,
    0x9E6495A3u, 0x0EDB8832u, 0x79DCB8A4u, 0xE0D5E91Eu, 0x97D2D988u, 0x09B64C2Bu, 0x7EB17CBDu,
    0xE7B82D07u, 0x90BF1D91u, 0x1DB71064u, 0x6AB020F2u, 0xF3B97148u, 0x84BE41DEu, 0x1ADAD47Du,
    0x6DDDE4EBu, 0xF4D4B551u, 0x83D385C7u, 0x136C9856u, 0x646BA8C0u, 0xFD62F97Au, 0x8A65C9ECu,
    0x14015C4Fu, 0x63066CD9u, 0xFA0F3D63u, 0x8D080DF5u, 0x3B6E20C8u, 0x4C69105Eu, 0xD56041E4u,
    0xA2677172u, 0x3C03E4D1u, 0x4B04D447u, 0xD20D85FDu, 0xA50AB56Bu, 0x35B5A8FAu, 0x42B2986Cu,
    0xDBBBC9D6u, 0xACBCF940u, 0x32D86CE3u, 0x45DF5C75u, 0xDCD60DCFu, 0xABD13D59u, 0x26D930ACu,
    0x51DE003Au, 0xC8D75180u, 0xBFD06116u, 0x21B4F4B5u, 0x56B3C423u, 0xCFBA9599u, 0xB8BDA50Fu,
    0x2802B89Eu, 0x5F058808u, 0xC60CD9B2u, 0xB10BE924u, 0x2F6F7C87u, 0x58684C11u, 0xC1611DABu,
    0xB6662D3Du, 0x76DC4190u, 0x01DB7106u, 0x98D220BCu, 0xEFD5102Au, 0x71B18589u, 0x06B6B51Fu,
    0x9FBFE4A5u, 0xE8B8D433u, 0x7807C9A2u, 0x0F00F934u, 0x9609A88Eu, 0xE10E9818u, 0x7F6A0DBBu,
    0x086D3D2Du, 0x91646C97u, 0xE6635C01u, 0x6B6B51F4u, 0x1C6C6162u, 0x856530D8u, 0xF262004Eu,
    0x6C0695EDu, 0x1B01A57Bu, 0x8208F4C1u, 0xF50FC457u, 0x65B0D9C6u, 0x12B7E950u, 0x8BBEB8EAu,
    0xFCB9887Cu, 0x62DD1DDFu, 0x15DA2D49u, 0x8CD37CF3u, 0xFBD44C65u, 0x4DB26158u, 0x3AB551CEu,
    0xA3BC0074u, 0xD4BB30E2u, 0x4ADFA541u, 0x3DD895D7u, 0xA4D1C46Du, 0xD3D6F4FBu, 0x4369E96Au,
    0x346ED9FCu, 0xAD678846u, 0xDA60B8D0u, 0x44042D73u, 0x33031DE5u, 0xAA0A4C5Fu, 0xDD0D7CC9u,
    0x5005713Cu, 0x270241AAu, 0xBE0B1010u, 0xC90C2086u, 0x5768B525u, 0x206F85B3u, 0xB966D409u,
    0xCE61E49Fu, 0x5EDEF90Eu, 0x29D9C998u, 0xB0D09822u, 0xC7D7A8B4u, 0x59B33D17u, 0x2EB40D81u,
    0xB7BD5C3Bu, 0xC0BA6CADu, 0xEDB88320u, 0x9ABFB3B6u, 0x03B6E20Cu, 0x74B1D29Au, 0xEAD54739u,
    0x9DD277AFu, 0x04DB2615u, 0x73DC1683u, 0xE3630B12u, 0x94643B84u, 0x0D6D6A3Eu, 0x7A6A5AA8u,
    0xE40ECF0Bu, 0x9309FF9Du, 0x0A00AE27u, 0x7D079EB1u, 0xF00F9344u, 0x8708A3D2u, 0x1E01F268u,
    0x6906C2FEu, 0xF762575Du, 0x806567CBu, 0x196C3671u, 0x6E6B06E7u, 0xFED41B76u, 0x89D32BE0u,
    0x10DA7A5Au, 0x67DD4ACCu, 0xF9B9DF6Fu, 0x8EBEEFF9u, 0x17B7BE43u, 0x60B08ED5u, 0xD6D6A3E8u,
    0xA1D1937Eu, 0x38D8C2C4u, 0x4FDFF252u, 0xD1BB67F1u, 0xA6BC5767u, 0x3FB506DDu, 0x48B2364Bu,
    0xD80D2BDAu, 0xAF0A1B4Cu, 0x36034AF6u, 0x41047A60u, 0xDF60EFC3u, 0xA867DF55u, 0x316E8EEFu,
    0x4669BE79u, 0xCB61B38Cu, 0xBC66831Au, 0x256FD2A0u, 0x5268E236u, 0xCC0C7795u, 0xBB0B4703u,
    0x220216B9u, 0x5505262Fu, 0xC5BA3BBEu, 0xB2BD0B28u, 0x2BB45A92u, 0x5CB36A04u, 0xC2D7FFA7u,
    0xB5D0CF31u, 0x2CD99E8Bu, 0x5BDEAE1Du, 0x9B64C2B0u, 0xEC63F226u, 0x756AA39Cu, 0x026D930Au,
    0x9C0906A9u, 0xEB0E363Fu, 0x72076785u, 0x05005713u, 0x95BF4A82u, 0xE2B87A14u, 0x7BB12BAEu,
    0x0CB61B38u, 0x92D28E9Bu, 0xE5D5BE0Du, 0x7CDCEFB7u, 0x0BDBDF21u, 0x86D3D2D4u, 0xF1D4E242u,
    0x68DDB3F8u, 0x1FDA836Eu, 0x81BE16CDu, 0xF6B9265Bu, 0x6FB077E1u, 0x18B74777u, 0x88085AE6u,
    0xFF0F6A70u, 0x66063BCAu, 0x11010B5Cu, 0x8F659EFFu, 0xF862AE69u, 0x616BFFD3u, 0x166CCF45u,
    0xA00AE278u, 0xD70DD2EEu, 0x4E048354u, 0x3903B3C2u, 0xA7672661u, 0xD06016F7u, 0x4969474Du,
    0x3E6E77DBu, 0xAED16A4Au, 0xD9D65ADCu, 0x40DF0B66u, 0x37D83BF0u, 0xA9BCAE53u, 0xDEBB9EC5u,
    0x47B2CF7Fu, 0x30B5FFE9u, 0xBDBDF21Cu, 0xCABAC28Au, 0x53B39330u, 0x24B4A3A6u, 0xBAD03605u,
    0xCDD70693u, 0x54DE5729u, 0x23D967BFu, 0xB3667A2Eu, 0xC4614AB8u, 0x5D681B02u, 0x2A6F2B94u,
    0xB40BBE37u, 0xC30C8EA1u, 0x5A05DF1Bu, 0x2D02EF8Du,
};

uint32_t host_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
    size_t i;

    crc = ~crc;
    for (i = 0; i < len; i++)
        crc = CRC_TABLE[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

/* ---- reasons --------------------------------------------------------------------- */

const char *host_reason_name(int reason)
{
    switch (reason) {
#define HOST__REASON_NAME(name, value, msg)                                                        \
    case (value):                                                                                  \
        return #name;
        HOST_REASON_MAP(HOST__REASON_NAME)
#undef HOST__REASON_NAME
    default:
        return "?";
    }
}

const char *host_reason_str(int reason)
{
    switch (reason) {
#define HOST__REASON_MSG(name, value, msg)                                                         \
    case (value):                                                                                  \
        return (msg);
        HOST_REASON_MAP(HOST__REASON_MSG)
#undef HOST__REASON_MSG
    default:
        return "unknown reason";
    }
}

static int reason_known(uint8_t r)
{
    return host_reason_name(r)[0] != '?';
}

/* ---- byte helpers ---------------------------------------------------------------- */

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void putn(uint8_t *p, uint64_t v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t getn(const uint8_t *p, int n)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* ---- BCD dates ------------------------------------------------------------------- */

/* Two BCD digits as a number, or -1. */
static int bcd2(uint8_t b)
{
    if ((b >> 4) > 9 || (b & 0x0Fu) > 9)
        return -1;
    return (b >> 4) * 10 + (b & 0x0F);
}

uint32_t host_bcd_date(const uint8_t d[4])
{
    int c = bcd2(d[0]), y = bcd2(d[1]), m = bcd2(d[2]), day = bcd2(d[3]);

    if (c < 0 || y < 0 || m < 1 || m > 12 || day < 1 || day > 31)
        return 0;
    return (uint32_t)((c * 100 + y) * 10000 + m * 100 + day);
}

int32_t host_bcd_time(const uint8_t t[3])
{
    int h = bcd2(t[0]), m = bcd2(t[1]), s = bcd2(t[2]);

    if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59)
        return -1;
    return (int32_t)(h * 10000 + m * 100 + s);
}

static uint8_t tobcd(uint32_t v)
{
    return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

int host_date_bcd(uint32_t yyyymmdd, uint8_t out[4])
{
    uint8_t d[4];

    if (out == NULL)
        return HOST_ERR_ARG;
    d[0] = tobcd(yyyymmdd / 1000000);
    d[1] = tobcd(yyyymmdd / 10000);
    d[2] = tobcd(yyyymmdd / 100);
    d[3] = tobcd(yyyymmdd);
    if (yyyymmdd > 99991231u || host_bcd_date(d) != yyyymmdd)
        return HOST_ERR_ARG;
    memcpy(out, d, 4);
    return 0;
}

int host_time_bcd(uint32_t hhmmss, uint8_t out[3])
{
    uint8_t t[3];

    if (out == NULL)
        return HOST_ERR_ARG;
    t[0] = tobcd(hhmmss / 10000);
    t[1] = tobcd(hhmmss / 100);
    t[2] = tobcd(hhmmss);
    if (hhmmss > 235959u || host_bcd_time(t) != (int32_t)hhmmss)
        return HOST_ERR_ARG;
    memcpy(out, t, 3);
    return 0;
}

/* ---- transaction record ---------------------------------------------------------- */

static int txn_type_ok(uint8_t type)
{
    return type == 0x01 || type == 0x02 || type == 0x05 || type == 0x06 || type == 0x09;
}

int host_txn_encode(const host_txn *t, uint8_t out[HOST_PROTO_RECORD])
{
    if (t == NULL || out == NULL || t->terminal >> 48 != 0 || !txn_type_ok(t->type) ||
        host_bcd_date(t->date) == 0 || host_bcd_time(t->time) < 0)
        return HOST_ERR_ARG;
    putn(out, t->serial, 8);
    out[8] = t->card_type;
    out[9] = t->type;
    put16(out + 10, t->counter);
    put32(out + 12, t->amount);
    putn(out + 16, t->terminal, 6);
    put32(out + 22, t->ttn);
    memcpy(out + 26, t->date, 4);
    memcpy(out + 30, t->time, 3);
    put32(out + 33, t->balance_before);
    put32(out + 37, t->balance_after);
    memcpy(out + 41, t->tac, 4);
    out[45] = t->key_version;
    out[46] = t->alg;
    put16(out + 47, t->entry_station);
    put16(out + 49, t->exit_station);
    put32(out + 51, t->operator_id);
    out[55] = 0;
    return 0;
}

int host_txn_decode(const uint8_t in[HOST_PROTO_RECORD], host_txn *t, int *reason)
{
    if (reason != NULL)
        *reason = HOST_REASON_OK;
    if (in == NULL || t == NULL)
        return HOST_ERR_ARG;
    memset(t, 0, sizeof *t);
    t->serial = getn(in, 8);
    t->card_type = in[8];
    t->type = in[9];
    t->counter = get16(in + 10);
    t->amount = get32(in + 12);
    t->terminal = getn(in + 16, 6);
    t->ttn = get32(in + 22);
    memcpy(t->date, in + 26, 4);
    memcpy(t->time, in + 30, 3);
    t->balance_before = get32(in + 33);
    t->balance_after = get32(in + 37);
    memcpy(t->tac, in + 41, 4);
    t->key_version = in[45];
    t->alg = in[46];
    t->entry_station = get16(in + 47);
    t->exit_station = get16(in + 49);
    t->operator_id = get32(in + 51);
    if (!txn_type_ok(t->type) || host_bcd_date(t->date) == 0 || host_bcd_time(t->time) < 0 ||
        in[55] != 0) {
        if (reason != NULL)
            *reason = HOST_REASON_FIELD;
        return HOST_ERR_BADMSG;
    }
    return 0;
}

/* ---- framing --------------------------------------------------------------------- */

/* Writes the header for a body of BODY bytes, checks CAP, and returns the body pointer
 * (NULL when CAP is too small). */
static uint8_t *frame_begin(uint8_t *out, size_t cap, uint8_t type, uint32_t id, size_t body)
{
    if (out == NULL || cap < HOST_PROTO_HDR + body + HOST_PROTO_TRAILER)
        return NULL;
    out[0] = MAGIC[0];
    out[1] = MAGIC[1];
    out[2] = HOST_PROTO_VERSION;
    out[3] = type;
    put32(out + 4, (uint32_t)body);
    put32(out + 8, id);
    return out + HOST_PROTO_HDR;
}

/* Appends the CRC over header and body and reports the frame length. */
static int frame_end(uint8_t *out, size_t body, size_t *out_len)
{
    size_t n = HOST_PROTO_HDR + body;

    put32(out + n, host_crc32(0, out, n));
    if (out_len != NULL)
        *out_len = n + HOST_PROTO_TRAILER;
    return 0;
}

int host_proto_frame_len(const uint8_t *hdr, size_t len, size_t *frame_len)
{
    uint32_t body;

    if (hdr == NULL || frame_len == NULL || len < HOST_PROTO_HDR)
        return HOST_ERR_ARG;
    body = get32(hdr + 4);
    if (hdr[0] != MAGIC[0] || hdr[1] != MAGIC[1] || hdr[2] != HOST_PROTO_VERSION ||
        body > HOST_PROTO_MAX_BODY)
        return HOST_ERR_BADMSG;
    *frame_len = HOST_PROTO_HDR + (size_t)body + HOST_PROTO_TRAILER;
    return 0;
}

/* ---- encoders -------------------------------------------------------------------- */

size_t host_proto_batch_size(size_t n)
{
    return HOST_PROTO_HDR + BATCH_FIXED + n * HOST_PROTO_RECORD + HOST_PROTO_TRAILER;
}

size_t host_proto_ack_size(size_t n)
{
    return HOST_PROTO_HDR + ACK_FIXED + n * HOST_PROTO_NOTE + HOST_PROTO_TRAILER;
}

size_t host_proto_bl_reply_size(size_t n)
{
    return HOST_PROTO_HDR + BL_REPLY_FIXED + n * HOST_PROTO_BL_ENTRY + HOST_PROTO_TRAILER;
}

size_t host_proto_param_reply_size(size_t len)
{
    return HOST_PROTO_HDR + PARAM_REPLY_FIXED + len + HOST_PROTO_TRAILER;
}

int host_proto_encode_batch(uint32_t id, const host_msg_batch *b, const host_txn *txns, size_t n,
                            uint8_t *out, size_t cap, size_t *out_len)
{
    size_t body = BATCH_FIXED + n * HOST_PROTO_RECORD, i;
    uint8_t *p;
    int rc;

    if (b == NULL || (n > 0 && txns == NULL) || n > HOST_PROTO_MAX_RECORDS ||
        b->terminal >> 48 != 0)
        return HOST_ERR_ARG;
    if ((p = frame_begin(out, cap, HOST_MSG_BATCH, id, body)) == NULL)
        return HOST_ERR_NOSPACE;
    putn(p, b->terminal, 6);
    put32(p + 6, b->seq);
    put16(p + 10, (uint32_t)n);
    p[12] = HOST_PROTO_RECORD;
    p[13] = 0;
    for (i = 0; i < n; i++)
        if ((rc = host_txn_encode(&txns[i], p + BATCH_FIXED + i * HOST_PROTO_RECORD)) != 0)
            return rc;
    return frame_end(out, body, out_len);
}

int host_proto_encode_ack(uint32_t id, const host_msg_batch_ack *a, const host_ack_note *notes,
                          size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t body = ACK_FIXED + n * HOST_PROTO_NOTE, i;
    uint8_t *p;

    if (a == NULL || (n > 0 && notes == NULL) || n > 65535 || a->terminal >> 48 != 0 ||
        a->status > HOST_ACK_REJECTED)
        return HOST_ERR_ARG;
    if ((p = frame_begin(out, cap, HOST_MSG_BATCH_ACK, id, body)) == NULL)
        return HOST_ERR_NOSPACE;
    putn(p, a->terminal, 6);
    put32(p + 6, a->seq);
    p[10] = a->status;
    p[11] = a->reason;
    put16(p + 12, a->records);
    put16(p + 14, a->accepted);
    put16(p + 16, a->duplicates);
    put16(p + 18, a->rejected);
    put16(p + 20, (uint32_t)n);
    for (i = 0; i < n; i++) {
        uint8_t *q = p + ACK_FIXED + i * HOST_PROTO_NOTE;
        put16(q, notes[i].index);
        q[2] = notes[i].result;
        q[3] = notes[i].reason;
    }
    return frame_end(out, body, out_len);
}

int host_proto_encode_bl_req(uint32_t id, const host_msg_bl_req *r, uint8_t *out, size_t cap,
                             size_t *out_len)
{
    uint8_t *p;

    if (r == NULL || r->terminal >> 48 != 0 || r->mode > HOST_BL_FULL)
        return HOST_ERR_ARG;
    if ((p = frame_begin(out, cap, HOST_MSG_BL_REQ, id, BL_REQ_LEN)) == NULL)
        return HOST_ERR_NOSPACE;
    putn(p, r->terminal, 6);
    put32(p + 6, r->have_version);
    p[10] = r->mode;
    return frame_end(out, BL_REQ_LEN, out_len);
}

int host_proto_encode_bl_reply(uint32_t id, const host_msg_bl_reply *r, const host_bl_entry *e,
                               size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t body = BL_REPLY_FIXED + n * HOST_PROTO_BL_ENTRY, i;
    uint8_t *p;

    if (r == NULL || (n > 0 && e == NULL) || r->kind > HOST_BL_CHANGES ||
        body > HOST_PROTO_MAX_BODY)
        return HOST_ERR_ARG;
    if ((p = frame_begin(out, cap, HOST_MSG_BL_REPLY, id, body)) == NULL)
        return HOST_ERR_NOSPACE;
    p[0] = r->status;
    p[1] = r->reason;
    p[2] = r->kind;
    put32(p + 3, r->from_version);
    put32(p + 7, r->to_version);
    put32(p + 11, (uint32_t)n);
    for (i = 0; i < n; i++) {
        uint8_t *q = p + BL_REPLY_FIXED + i * HOST_PROTO_BL_ENTRY;
        putn(q, e[i].serial, 8);
        q[8] = e[i].op;
        q[9] = e[i].reason;
    }
    return frame_end(out, body, out_len);
}

int host_proto_encode_param_req(uint32_t id, const host_msg_param_req *r, uint8_t *out, size_t cap,
                                size_t *out_len)
{
    uint8_t *p;

    if (r == NULL || r->terminal >> 48 != 0 ||
        (r->kind != HOST_PARAM_FARE && r->kind != HOST_PARAM_TERMINAL))
        return HOST_ERR_ARG;
    if ((p = frame_begin(out, cap, HOST_MSG_PARAM_REQ, id, PARAM_REQ_LEN)) == NULL)
        return HOST_ERR_NOSPACE;
    putn(p, r->terminal, 6);
    p[6] = r->kind;
    put32(p + 7, r->have_version);
    return frame_end(out, PARAM_REQ_LEN, out_len);
}

int host_proto_encode_param_reply(uint32_t id, const host_msg_param_reply *r,
                                  const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
                                  size_t *out_len)
{
    size_t body = PARAM_REPLY_FIXED + len;
    uint8_t *p;

    if (r == NULL || (len > 0 && payload == NULL) || r->current > 1 || body > HOST_PROTO_MAX_BODY)
        return HOST_ERR_ARG;
    if ((p = frame_begin(out, cap, HOST_MSG_PARAM_REPLY, id, body)) == NULL)
        return HOST_ERR_NOSPACE;
    p[0] = r->status;
    p[1] = r->reason;
    p[2] = r->kind;
    put32(p + 3, r->version);
    p[7] = r->current;
    put32(p + 8, (uint32_t)len);
    if (len > 0)
        memcpy(p + PARAM_REPLY_FIXED, payload, len);
    return frame_end(out, body, out_len);
}

int host_proto_encode_load_req(uint32_t id, const host_msg_load_req *r, uint8_t *out, size_t cap,
                               size_t *out_len)
{
    uint8_t *p;

    if (r == NULL || r->terminal >> 48 != 0 || host_bcd_date(r->date) == 0 ||
        host_bcd_time(r->time) < 0)
        return HOST_ERR_ARG;
    if ((p = frame_begin(out, cap, HOST_MSG_LOAD_REQ, id, LOAD_REQ_LEN)) == NULL)
        return HOST_ERR_NOSPACE;
    putn(p, r->terminal, 6);
    putn(p + 6, r->serial, 8);
    p[14] = r->type;
    p[15] = r->key_version;
    p[16] = r->alg;
    memcpy(p + 17, r->random, 4);
    put16(p + 21, r->online_counter);
    put32(p + 23, r->old_balance);
    put32(p + 27, r->amount);
    memcpy(p + 31, r->date, 4);
    memcpy(p + 35, r->time, 3);
    memcpy(p + 38, r->mac1, 4);
    put32(p + 42, r->ttn);
    put32(p + 46, r->operator_id);
    return frame_end(out, LOAD_REQ_LEN, out_len);
}

int host_proto_encode_load_reply(uint32_t id, const host_msg_load_reply *r, uint8_t *out,
                                 size_t cap, size_t *out_len)
{
    uint8_t *p;

    if (r == NULL || r->status > HOST_LOAD_DECLINED)
        return HOST_ERR_ARG;
    if ((p = frame_begin(out, cap, HOST_MSG_LOAD_REPLY, id, LOAD_REPLY_LEN)) == NULL)
        return HOST_ERR_NOSPACE;
    putn(p, r->serial, 8);
    put16(p + 8, r->online_counter);
    p[10] = r->status;
    p[11] = r->reason;
    memcpy(p + 12, r->mac2, 4);
    return frame_end(out, LOAD_REPLY_LEN, out_len);
}

int host_proto_encode_ota_fetch(uint32_t id, const host_msg_ota_fetch *r, uint8_t *out, size_t cap,
                                size_t *out_len)
{
    uint8_t *p;

    if (r == NULL || r->terminal >> 48 != 0)
        return HOST_ERR_ARG;
    if ((p = frame_begin(out, cap, HOST_MSG_OTA_FETCH, id, OTA_FETCH_LEN)) == NULL)
        return HOST_ERR_NOSPACE;
    putn(p, r->terminal, 6);
    putn(p + 6, r->serial, 8);
    return frame_end(out, OTA_FETCH_LEN, out_len);
}

int host_proto_encode_ota_result(uint32_t id, const host_msg_ota_result *r, uint8_t *out,
                                 size_t cap, size_t *out_len)
{
    size_t len, body;
    uint8_t *p;

    if (r == NULL || r->terminal >> 48 != 0 || r->outcome > HOST_OTA_LOST)
        return HOST_ERR_ARG;
    len = r->outcome == HOST_OTA_LOST ? 0 : r->length;
    if (r->outcome == HOST_OTA_RESPONSE && (len < 2 || len > HOST_PROTO_MAX_APDU || r->rsp == NULL))
        return HOST_ERR_ARG;
    body = OTA_RESULT_FIXED + len;
    if ((p = frame_begin(out, cap, HOST_MSG_OTA_RESULT, id, body)) == NULL)
        return HOST_ERR_NOSPACE;
    putn(p, r->terminal, 6);
    putn(p + 6, r->serial, 8);
    put32(p + 14, r->session);
    put16(p + 18, r->step);
    p[20] = r->outcome;
    put16(p + 21, (uint32_t)len);
    if (len > 0)
        memcpy(p + OTA_RESULT_FIXED, r->rsp, len);
    return frame_end(out, body, out_len);
}

int host_proto_encode_ota_command(uint32_t id, const host_msg_ota_command *r, uint8_t *out,
                                  size_t cap, size_t *out_len)
{
    size_t len, body;
    uint8_t *p;

    if (r == NULL || r->status > HOST_OTA_ABORTED)
        return HOST_ERR_ARG;
    len = r->status == HOST_OTA_SEND ? r->length : 0;
    if (r->status == HOST_OTA_SEND && (len < 4 || len > HOST_PROTO_MAX_APDU || r->apdu == NULL))
        return HOST_ERR_ARG;
    body = OTA_COMMAND_FIXED + len;
    if ((p = frame_begin(out, cap, HOST_MSG_OTA_COMMAND, id, body)) == NULL)
        return HOST_ERR_NOSPACE;
    putn(p, r->serial, 8);
    put32(p + 8, r->session);
    put16(p + 12, r->step);
    p[14] = r->status;
    p[15] = r->reason;
    put16(p + 16, (uint32_t)len);
    if (len > 0)
        memcpy(p + OTA_COMMAND_FIXED, r->apdu, len);
    return frame_end(out, body, out_len);
}

int host_proto_encode_error(uint32_t id, const host_msg_error *r, uint8_t *out, size_t cap,
                            size_t *out_len)
{
    uint8_t *p;

    if (r == NULL)
        return HOST_ERR_ARG;
    if ((p = frame_begin(out, cap, HOST_MSG_ERROR, id, ERROR_LEN)) == NULL)
        return HOST_ERR_NOSPACE;
    p[0] = r->reason;
    p[1] = r->req_type;
    return frame_end(out, ERROR_LEN, out_len);
}

/* ---- decoder --------------------------------------------------------------------- */

/* Each body decoder gets the body P of LEN bytes and returns a HOST_REASON_*. */

static int dec_batch(const uint8_t *p, size_t len, host_msg_batch *b)
{
    uint32_t i;
    host_txn t;
    int reason;

    if (len < BATCH_FIXED)
        return HOST_REASON_LENGTH;
    b->terminal = getn(p, 6);
    b->seq = get32(p + 6);
    b->count = get16(p + 10);
    if (p[12] != HOST_PROTO_RECORD || p[13] != 0)
        return HOST_REASON_FIELD;
    if (len != BATCH_FIXED + (size_t)b->count * HOST_PROTO_RECORD)
        return HOST_REASON_LENGTH;
    b->records = p + BATCH_FIXED;
    for (i = 0; i < b->count; i++)
        if (host_txn_decode(b->records + (size_t)i * HOST_PROTO_RECORD, &t, &reason) != 0)
            return reason;
    return HOST_REASON_OK;
}

static int dec_ack(const uint8_t *p, size_t len, host_msg_batch_ack *a)
{
    uint32_t i;

    if (len < ACK_FIXED)
        return HOST_REASON_LENGTH;
    a->terminal = getn(p, 6);
    a->seq = get32(p + 6);
    a->status = p[10];
    a->reason = p[11];
    a->records = get16(p + 12);
    a->accepted = get16(p + 14);
    a->duplicates = get16(p + 16);
    a->rejected = get16(p + 18);
    a->n_notes = get16(p + 20);
    if (len != ACK_FIXED + (size_t)a->n_notes * HOST_PROTO_NOTE)
        return HOST_REASON_LENGTH;
    a->notes = p + ACK_FIXED;
    if (a->status > HOST_ACK_REJECTED || !reason_known(a->reason))
        return HOST_REASON_FIELD;
    for (i = 0; i < a->n_notes; i++) {
        const uint8_t *q = a->notes + (size_t)i * HOST_PROTO_NOTE;
        if (q[2] > HOST_NOTE_FLAGGED || !reason_known(q[3]))
            return HOST_REASON_FIELD;
    }
    return HOST_REASON_OK;
}

static int dec_bl_reply(const uint8_t *p, size_t len, host_msg_bl_reply *r)
{
    uint32_t i;

    if (len < BL_REPLY_FIXED)
        return HOST_REASON_LENGTH;
    r->status = p[0];
    r->reason = p[1];
    r->kind = p[2];
    r->from_version = get32(p + 3);
    r->to_version = get32(p + 7);
    r->count = get32(p + 11);
    if ((len - BL_REPLY_FIXED) / HOST_PROTO_BL_ENTRY != r->count ||
        (len - BL_REPLY_FIXED) % HOST_PROTO_BL_ENTRY != 0)
        return HOST_REASON_LENGTH;
    r->entries = p + BL_REPLY_FIXED;
    if (r->kind > HOST_BL_CHANGES || !reason_known(r->reason))
        return HOST_REASON_FIELD;
    for (i = 0; i < r->count; i++)
        if (r->entries[(size_t)i * HOST_PROTO_BL_ENTRY + 8] > HOST_BL_ADD)
            return HOST_REASON_FIELD;
    return HOST_REASON_OK;
}

static int dec_param_reply(const uint8_t *p, size_t len, host_msg_param_reply *r)
{
    if (len < PARAM_REPLY_FIXED)
        return HOST_REASON_LENGTH;
    r->status = p[0];
    r->reason = p[1];
    r->kind = p[2];
    r->version = get32(p + 3);
    r->current = p[7];
    r->length = get32(p + 8);
    if (len != PARAM_REPLY_FIXED + (size_t)r->length)
        return HOST_REASON_LENGTH;
    r->payload = p + PARAM_REPLY_FIXED;
    if (r->current > 1 || !reason_known(r->reason) ||
        (r->kind != HOST_PARAM_FARE && r->kind != HOST_PARAM_TERMINAL))
        return HOST_REASON_FIELD;
    return HOST_REASON_OK;
}

static int dec_load_req(const uint8_t *p, host_msg_load_req *r)
{
    r->terminal = getn(p, 6);
    r->serial = getn(p + 6, 8);
    r->type = p[14];
    r->key_version = p[15];
    r->alg = p[16];
    memcpy(r->random, p + 17, 4);
    r->online_counter = get16(p + 21);
    r->old_balance = get32(p + 23);
    r->amount = get32(p + 27);
    memcpy(r->date, p + 31, 4);
    memcpy(r->time, p + 35, 3);
    memcpy(r->mac1, p + 38, 4);
    r->ttn = get32(p + 42);
    r->operator_id = get32(p + 46);
    if ((r->type != 0x01 && r->type != 0x02) || host_bcd_date(r->date) == 0 ||
        host_bcd_time(r->time) < 0)
        return HOST_REASON_FIELD;
    return HOST_REASON_OK;
}

static int dec_ota_result(const uint8_t *p, size_t len, host_msg_ota_result *r)
{
    if (len < OTA_RESULT_FIXED)
        return HOST_REASON_LENGTH;
    r->terminal = getn(p, 6);
    r->serial = getn(p + 6, 8);
    r->session = get32(p + 14);
    r->step = get16(p + 18);
    r->outcome = p[20];
    r->length = get16(p + 21);
    if (len != OTA_RESULT_FIXED + (size_t)r->length)
        return HOST_REASON_LENGTH;
    r->rsp = p + OTA_RESULT_FIXED;
    if (r->outcome > HOST_OTA_LOST || (r->outcome == HOST_OTA_LOST && r->length != 0) ||
        (r->outcome == HOST_OTA_RESPONSE && (r->length < 2 || r->length > HOST_PROTO_MAX_APDU)))
        return HOST_REASON_FIELD;
    return HOST_REASON_OK;
}

static int dec_ota_command(const uint8_t *p, size_t len, host_msg_ota_command *r)
{
    if (len < OTA_COMMAND_FIXED)
        return HOST_REASON_LENGTH;
    r->serial = getn(p, 8);
    r->session = get32(p + 8);
    r->step = get16(p + 12);
    r->status = p[14];
    r->reason = p[15];
    r->length = get16(p + 16);
    if (len != OTA_COMMAND_FIXED + (size_t)r->length)
        return HOST_REASON_LENGTH;
    r->apdu = p + OTA_COMMAND_FIXED;
    if (r->status > HOST_OTA_ABORTED || !reason_known(r->reason) ||
        (r->status == HOST_OTA_SEND && (r->length < 4 || r->length > HOST_PROTO_MAX_APDU)) ||
        (r->status != HOST_OTA_SEND && r->length != 0))
        return HOST_REASON_FIELD;
    return HOST_REASON_OK;
}

/* The fixed body length of TYPE, 0 for variable bodies, -1 for unknown types. */
static long fixed_len(uint8_t type)
{
    switch (type) {
    case HOST_MSG_BL_REQ:
        return BL_REQ_LEN;
    case HOST_MSG_PARAM_REQ:
        return PARAM_REQ_LEN;
    case HOST_MSG_LOAD_REQ:
        return LOAD_REQ_LEN;
    case HOST_MSG_LOAD_REPLY:
        return LOAD_REPLY_LEN;
    case HOST_MSG_OTA_FETCH:
        return OTA_FETCH_LEN;
    case HOST_MSG_ERROR:
        return ERROR_LEN;
    case HOST_MSG_BATCH:
    case HOST_MSG_BATCH_ACK:
    case HOST_MSG_BL_REPLY:
    case HOST_MSG_PARAM_REPLY:
    case HOST_MSG_OTA_RESULT:
    case HOST_MSG_OTA_COMMAND:
        return 0;
    default:
        return -1;
    }
}

static int dec_body(uint8_t type, const uint8_t *p, size_t len, host_msg *m)
{
    long fixed = fixed_len(type);

    if (fixed < 0)
        return HOST_REASON_TYPE;
    if (fixed > 0 && len != (size_t)fixed)
        return HOST_REASON_LENGTH;
    switch (type) {
    case HOST_MSG_BATCH:
        return dec_batch(p, len, &m->u.batch);
    case HOST_MSG_BATCH_ACK:
        return dec_ack(p, len, &m->u.ack);
    case HOST_MSG_BL_REQ:
        m->u.bl_req.terminal = getn(p, 6);
        m->u.bl_req.have_version = get32(p + 6);
        m->u.bl_req.mode = p[10];
        return p[10] > HOST_BL_FULL ? HOST_REASON_FIELD : HOST_REASON_OK;
    case HOST_MSG_BL_REPLY:
        return dec_bl_reply(p, len, &m->u.bl_reply);
    case HOST_MSG_PARAM_REQ:
        m->u.param_req.terminal = getn(p, 6);
        m->u.param_req.kind = p[6];
        m->u.param_req.have_version = get32(p + 7);
        return p[6] != HOST_PARAM_FARE && p[6] != HOST_PARAM_TERMINAL ? HOST_REASON_FIELD
                                                                      : HOST_REASON_OK;
    case HOST_MSG_PARAM_REPLY:
        return dec_param_reply(p, len, &m->u.param_reply);
    case HOST_MSG_LOAD_REQ:
        return dec_load_req(p, &m->u.load_req);
    case HOST_MSG_LOAD_REPLY:
        m->u.load_reply.serial = getn(p, 8);
        m->u.load_reply.online_counter = get16(p + 8);
        m->u.load_reply.status = p[10];
        m->u.load_reply.reason = p[11];
        memcpy(m->u.load_reply.mac2, p + 12, 4);
        return p[10] > HOST_LOAD_DECLINED || !reason_known(p[11]) ? HOST_REASON_FIELD
                                                                  : HOST_REASON_OK;
    case HOST_MSG_OTA_FETCH:
        m->u.ota_fetch.terminal = getn(p, 6);
        m->u.ota_fetch.serial = getn(p + 6, 8);
        return HOST_REASON_OK;
    case HOST_MSG_OTA_RESULT:
        return dec_ota_result(p, len, &m->u.ota_result);
    case HOST_MSG_OTA_COMMAND:
        return dec_ota_command(p, len, &m->u.ota_cmd);
    case HOST_MSG_ERROR:
        m->u.error.reason = p[0];
        m->u.error.req_type = p[1];
        return reason_known(p[0]) ? HOST_REASON_OK : HOST_REASON_FIELD;
    default:
        return HOST_REASON_TYPE;
    }
}

int host_proto_decode(const uint8_t *buf, size_t len, host_msg *out, int *reason)
{
    uint32_t body;
    int r;

    if (reason != NULL)
        *reason = HOST_REASON_OK;
    if (buf == NULL || out == NULL)
        return HOST_ERR_ARG;
    memset(out, 0, sizeof *out);
    /* Order matters for the reason reported: framing first (is this our protocol, a
     * version we speak, a complete frame), then integrity, then content. */
    if (len < 2 || buf[0] != MAGIC[0] || buf[1] != MAGIC[1])
        r = HOST_REASON_MAGIC;
    else if (len < 3 || buf[2] != HOST_PROTO_VERSION)
        r = HOST_REASON_VERSION;
    else if (len < HOST_PROTO_HDR + HOST_PROTO_TRAILER ||
             (body = get32(buf + 4)) > HOST_PROTO_MAX_BODY ||
             len != HOST_PROTO_HDR + (size_t)body + HOST_PROTO_TRAILER)
        r = HOST_REASON_LENGTH;
    else if (get32(buf + HOST_PROTO_HDR + body) != host_crc32(0, buf, HOST_PROTO_HDR + body))
        r = HOST_REASON_CHECKSUM;
    else {
        out->version = buf[2];
        out->type = buf[3];
        out->id = get32(buf + 8);
        r = dec_body(buf[3], buf + HOST_PROTO_HDR, body, out);
    }
    if (r != HOST_REASON_OK) {
        memset(out, 0, sizeof *out);
        if (reason != NULL)
            *reason = r;
        return HOST_ERR_BADMSG;
    }
    return 0;
}

/* ---- accessors ------------------------------------------------------------------- */

int host_proto_batch_txn(const host_msg *m, size_t i, host_txn *out)
{
    if (m == NULL || out == NULL || m->type != HOST_MSG_BATCH || i >= m->u.batch.count)
        return HOST_ERR_ARG;
    return host_txn_decode(m->u.batch.records + i * HOST_PROTO_RECORD, out, NULL);
}

int host_proto_ack_note(const host_msg *m, size_t i, host_ack_note *out)
{
    const uint8_t *q;

    if (m == NULL || out == NULL || m->type != HOST_MSG_BATCH_ACK || i >= m->u.ack.n_notes)
        return HOST_ERR_ARG;
    q = m->u.ack.notes + i * HOST_PROTO_NOTE;
    out->index = get16(q);
    out->result = q[2];
    out->reason = q[3];
    return 0;
}

int host_proto_bl_entry(const host_msg *m, size_t i, host_bl_entry *out)
{
    const uint8_t *q;

    if (m == NULL || out == NULL || m->type != HOST_MSG_BL_REPLY || i >= m->u.bl_reply.count)
        return HOST_ERR_ARG;
    q = m->u.bl_reply.entries + i * HOST_PROTO_BL_ENTRY;
    out->serial = getn(q, 8);
    out->op = q[8];
    out->reason = q[9];
    return 0;
}
