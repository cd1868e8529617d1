/*
 * obol tests: the terminal-host protocol codec (host_proto.h) and the parameter
 * payloads (host_fare.h): round trips of every message, the pinned byte layout of a
 * frame, and rejection of malformed input with the right reason — every truncation
 * and every single-bit corruption of a valid frame is refused.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "host_ref.h"
#include "obol/host_fare.h"
#include "obol/host_proto.h"

static host_txn sample_txn(uint32_t i)
{
    host_txn t;

    memset(&t, 0, sizeof t);
    t.serial = 0x3100000100000000ull + i;
    t.card_type = 1;
    t.type = 0x09;
    t.counter = (uint16_t)(7 + i);
    t.amount = 300 + i;
    t.terminal = 0x112233445566ull;
    t.ttn = 0x10 + i;
    cr_assert_eq(host_date_bcd(20261122, t.date), 0);
    cr_assert_eq(host_time_bcd(83000 + i, t.time), 0);
    t.balance_before = 5000;
    t.balance_after = 5000 - t.amount;
    memcpy(t.tac, "\xBE\x5A\x9E\x80", 4);
    t.key_version = 1;
    t.alg = 0;
    t.entry_station = 101;
    t.exit_station = 102;
    t.operator_id = 1;
    return t;
}

Test(host_proto, crc32_check_value)
{
    cr_assert_eq(host_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    /* Running CRC over pieces equals the CRC of the whole. */
    cr_assert_eq(host_crc32(host_crc32(0, (const uint8_t *)"1234", 4), (const uint8_t *)"56789", 5),
                 0xCBF43926u);
}

Test(host_proto, bcd_dates_and_times)
{
    uint8_t d[4], t[3];

    cr_assert_eq(host_date_bcd(20261122, d), 0);
    cr_assert_arr_eq(d, "\x20\x26\x11\x22", 4);
    cr_assert_eq(host_bcd_date(d), 20261122u);
    cr_assert_eq(host_time_bcd(235959, t), 0);
    cr_assert_eq(host_bcd_time(t), 235959);
    cr_assert_eq(host_date_bcd(20261322, d), HOST_ERR_ARG);
    cr_assert_eq(host_time_bcd(246000, t), HOST_ERR_ARG);
    cr_assert_eq(host_bcd_date((const uint8_t *)"\x20\x26\x1A\x22"), 0u);
    cr_assert_eq(host_bcd_time((const uint8_t *)"\x12\x60\x00"), -1);
}

/* The record layout is the protocol: pin it byte for byte (docs/host-protocol.md). */
Test(host_proto, record_layout_pinned)
{
    host_txn t = sample_txn(0), back;
    uint8_t rec[HOST_PROTO_RECORD], want[HOST_PROTO_RECORD];
    int reason;

    cr_assert_eq(host_txn_encode(&t, rec), 0);
    ref_hex("3100000100000000 01 09 0007 0000012C 112233445566 00000010 20261122 083000"
            " 00001388 0000125C BE5A9E80 01 00 0065 0066 00000001 00",
            want, sizeof want);
    cr_assert_arr_eq(rec, want, HOST_PROTO_RECORD);
    cr_assert_eq(host_txn_decode(rec, &back, &reason), 0);
    cr_assert_eq(reason, HOST_REASON_OK);
    cr_assert_eq(memcmp(&back, &t, sizeof t), 0);
    /* A reserved byte, a bad type, a bad date: FIELD. */
    rec[55] = 1;
    cr_assert_eq(host_txn_decode(rec, &back, &reason), HOST_ERR_BADMSG);
    cr_assert_eq(reason, HOST_REASON_FIELD);
    rec[55] = 0;
    rec[9] = 0x07;
    cr_assert_eq(host_txn_decode(rec, &back, &reason), HOST_ERR_BADMSG);
    rec[9] = 0x09;
    rec[28] = 0x13;
    cr_assert_eq(host_txn_decode(rec, &back, &reason), HOST_ERR_BADMSG);
    t.terminal = 1ull << 48;
    cr_assert_eq(host_txn_encode(&t, rec), HOST_ERR_ARG);
}

Test(host_proto, batch_frame_pinned_and_round_trip)
{
    host_txn t[3] = {sample_txn(0), sample_txn(1), sample_txn(2)}, back;
    host_msg_batch b = {0x112233445566ull, 42, 0, NULL};
    uint8_t buf[512], hdr[32];
    host_msg m;
    size_t n, i, flen;
    int reason;

    cr_assert_eq(host_proto_encode_batch(0xA1B2C3D4u, &b, t, 3, buf, sizeof buf, &n), 0);
    cr_assert_eq(n, host_proto_batch_size(3));
    cr_assert_eq(n, 12u + 14u + 3u * 56u + 4u);
    ref_hex("4F48 01 01 000000B6 A1B2C3D4 112233445566 0000002A 0003 38 00", hdr, sizeof hdr);
    cr_assert_arr_eq(buf, hdr, 26);
    cr_assert_eq(host_proto_frame_len(buf, HOST_PROTO_HDR, &flen), 0);
    cr_assert_eq(flen, n);
    cr_assert_eq(host_proto_decode(buf, n, &m, &reason), 0);
    cr_assert_eq(m.type, HOST_MSG_BATCH);
    cr_assert_eq(m.version, 1);
    cr_assert_eq(m.id, 0xA1B2C3D4u);
    cr_assert_eq(m.u.batch.terminal, 0x112233445566ull);
    cr_assert_eq(m.u.batch.seq, 42u);
    cr_assert_eq(m.u.batch.count, 3u);
    for (i = 0; i < 3; i++) {
        cr_assert_eq(host_proto_batch_txn(&m, i, &back), 0);
        cr_assert_eq(memcmp(&back, &t[i], sizeof back), 0);
    }
    cr_assert_eq(host_proto_batch_txn(&m, 3, &back), HOST_ERR_ARG);
    cr_assert_eq(host_proto_encode_batch(1, &b, t, 3, buf, n - 1, &n), HOST_ERR_NOSPACE);
}

Test(host_proto, every_message_round_trips)
{
    uint8_t buf[1024], apdu[5] = {0x80, 0xF2, 0x40, 0x02, 0x00}, payload[3] = {1, 2, 3};
    host_ack_note notes[2] = {{3, HOST_NOTE_DUPLICATE, HOST_REASON_DUP_CARD_COUNTER},
                              {9, HOST_NOTE_REJECTED, HOST_REASON_BAD_TAC}},
                  note;
    host_bl_entry ents[2] = {{0x3100000100000005ull, HOST_BL_ADD, 1}, {7, HOST_BL_REMOVE, 5}}, e;
    host_msg_batch_ack a = {0x1234, 9, HOST_ACK_ACCEPTED, 0, 10, 8, 1, 1, 0, NULL};
    host_msg_bl_req blq = {0x1234, 17, HOST_BL_DELTA};
    host_msg_bl_reply blr = {0, 0, HOST_BL_CHANGES, 17, 19, 0, NULL};
    host_msg_param_req pq = {0x1234, HOST_PARAM_FARE, 3};
    host_msg_param_reply pr = {0, 0, HOST_PARAM_FARE, 4, 0, 0, NULL};
    host_msg_load_req lq;
    host_msg_load_reply lr = {0x31000001000000FFull, 5, HOST_LOAD_APPROVED, 0, {1, 2, 3, 4}};
    host_msg_ota_fetch of = {0x1234, 0x99};
    host_msg_ota_result orr = {0x1234,
                               0x99,
                               77,
                               3,
                               HOST_OTA_RESPONSE,
                               2,
                               (const uint8_t *)"\x90"
                                                "\x00"};
    host_msg_ota_command oc = {0x99, 77, 4, HOST_OTA_SEND, 0, 5, apdu};
    host_msg_error er = {HOST_REASON_CHECKSUM, HOST_MSG_BL_REQ};
    host_msg m;
    size_t n;

    cr_assert_eq(host_proto_encode_ack(1, &a, notes, 2, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(m.u.ack.accepted, 8);
    cr_assert_eq(m.u.ack.n_notes, 2u);
    cr_assert_eq(host_proto_ack_note(&m, 1, &note), 0);
    cr_assert_eq(note.index, 9);
    cr_assert_eq(note.reason, HOST_REASON_BAD_TAC);

    cr_assert_eq(host_proto_encode_bl_req(2, &blq, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(m.u.bl_req.have_version, 17u);

    cr_assert_eq(host_proto_encode_bl_reply(3, &blr, ents, 2, buf, sizeof buf, &n), 0);
    cr_assert_eq(n, host_proto_bl_reply_size(2));
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(m.u.bl_reply.to_version, 19u);
    cr_assert_eq(host_proto_bl_entry(&m, 0, &e), 0);
    cr_assert_eq(e.serial, ents[0].serial);
    cr_assert_eq(host_proto_bl_entry(&m, 1, &e), 0);
    cr_assert_eq(e.op, HOST_BL_REMOVE);

    cr_assert_eq(host_proto_encode_param_req(4, &pq, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(m.u.param_req.kind, HOST_PARAM_FARE);
    cr_assert_eq(host_proto_encode_param_reply(5, &pr, payload, 3, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(m.u.param_reply.length, 3u);
    cr_assert_arr_eq(m.u.param_reply.payload, payload, 3);

    memset(&lq, 0, sizeof lq);
    lq.terminal = 0x330000000001ull;
    lq.serial = 0x31000001000000FFull;
    lq.type = 0x02;
    lq.key_version = 1;
    memcpy(lq.random, "\x11\x22\x33\x44", 4);
    lq.online_counter = 5;
    lq.old_balance = 1000;
    lq.amount = 100;
    cr_assert_eq(host_date_bcd(20261122, lq.date), 0);
    cr_assert_eq(host_time_bcd(83000, lq.time), 0);
    memcpy(lq.mac1, "\x8F\xB1\xBF\x26", 4);
    lq.ttn = 9;
    lq.operator_id = 1;
    cr_assert_eq(host_proto_encode_load_req(6, &lq, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(memcmp(&m.u.load_req, &lq, sizeof lq), 0);
    cr_assert_eq(host_proto_encode_load_reply(7, &lr, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(memcmp(&m.u.load_reply, &lr, sizeof lr), 0);

    cr_assert_eq(host_proto_encode_ota_fetch(8, &of, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(m.u.ota_fetch.serial, 0x99u);
    cr_assert_eq(host_proto_encode_ota_result(9, &orr, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(m.u.ota_result.session, 77u);
    cr_assert_eq(m.u.ota_result.length, 2);
    orr.outcome = HOST_OTA_LOST;
    cr_assert_eq(host_proto_encode_ota_result(9, &orr, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(m.u.ota_result.length, 0);
    cr_assert_eq(host_proto_encode_ota_command(10, &oc, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_arr_eq(m.u.ota_cmd.apdu, apdu, 5);
    cr_assert_eq(host_proto_encode_error(11, &er, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_proto_decode(buf, n, &m, NULL), 0);
    cr_assert_eq(m.type, HOST_MSG_ERROR);
    cr_assert_eq(m.u.error.reason, HOST_REASON_CHECKSUM);
}

/* Re-seals a frame after an edit, so the content checks are reached. */
static void reseal(uint8_t *buf, size_t n)
{
    uint32_t c = host_crc32(0, buf, n - 4);

    buf[n - 4] = (uint8_t)(c >> 24);
    buf[n - 3] = (uint8_t)(c >> 16);
    buf[n - 2] = (uint8_t)(c >> 8);
    buf[n - 1] = (uint8_t)c;
}

static int reason_of(const uint8_t *buf, size_t n)
{
    host_msg m;
    int reason = -1;

    cr_assert_eq(host_proto_decode(buf, n, &m, &reason), HOST_ERR_BADMSG);
    return reason;
}

Test(host_proto, malformed_frames_rejected_with_reason)
{
    host_txn t[2] = {sample_txn(0), sample_txn(1)};
    host_msg_batch b = {0x112233445566ull, 1, 0, NULL};
    uint8_t buf[512], bad[600];
    size_t n, i;
    int bit;

    cr_assert_eq(host_proto_encode_batch(1, &b, t, 2, buf, sizeof buf, &n), 0);
    /* Every truncation and every single-bit flip is refused. */
    for (i = 0; i < n; i++)
        cr_assert_neq(reason_of(buf, i), HOST_REASON_OK);
    for (i = 0; i < n; i++)
        for (bit = 0; bit < 8; bit++) {
            memcpy(bad, buf, n);
            bad[i] ^= (uint8_t)(1 << bit);
            cr_assert_neq(reason_of(bad, n), HOST_REASON_OK, "flip at %zu.%d accepted", i, bit);
        }
    memcpy(bad, buf, n);
    bad[0] = 'X';
    cr_assert_eq(reason_of(bad, n), HOST_REASON_MAGIC);
    memcpy(bad, buf, n);
    bad[2] = 2;
    cr_assert_eq(reason_of(bad, n), HOST_REASON_VERSION);
    memcpy(bad, buf, n);
    bad[n - 1] ^= 1;
    cr_assert_eq(reason_of(bad, n), HOST_REASON_CHECKSUM);
    memcpy(bad, buf, n);
    bad[3] = 0x42;
    reseal(bad, n);
    cr_assert_eq(reason_of(bad, n), HOST_REASON_TYPE);
    /* Count says 2, one extra byte in the body (length sealed to match). */
    memcpy(bad, buf, n - 4);
    bad[n - 4] = 0;
    bad[7] = (uint8_t)(bad[7] + 1);
    reseal(bad, n + 1);
    cr_assert_eq(reason_of(bad, n + 1), HOST_REASON_LENGTH);
    /* A record with a bad BCD date, sealed: FIELD. */
    memcpy(bad, buf, n);
    bad[HOST_PROTO_HDR + 14 + 28] = 0x1F;
    reseal(bad, n);
    cr_assert_eq(reason_of(bad, n), HOST_REASON_FIELD);
    /* A declared body longer than the maximum. */
    memcpy(bad, buf, n);
    bad[4] = 0x7F;
    cr_assert_eq(reason_of(bad, n), HOST_REASON_LENGTH);
    cr_assert_eq(host_proto_frame_len(bad, n, &i), HOST_ERR_BADMSG);
    cr_assert_eq(reason_of(buf, 0), HOST_REASON_MAGIC);
}

Test(host_proto, content_checks_of_small_messages)
{
    host_msg_bl_req blq = {0x1234, 0, HOST_BL_FULL};
    host_msg_ota_command oc = {1, 2, 3, HOST_OTA_DONE, 0, 0, NULL};
    uint8_t buf[128];
    size_t n;

    cr_assert_eq(host_proto_encode_bl_req(1, &blq, buf, sizeof buf, &n), 0);
    buf[HOST_PROTO_HDR + 10] = 7; /* mode */
    reseal(buf, n);
    cr_assert_eq(reason_of(buf, n), HOST_REASON_FIELD);
    cr_assert_eq(host_proto_encode_ota_command(1, &oc, buf, sizeof buf, &n), 0);
    buf[HOST_PROTO_HDR + 15] = 200; /* reason not in the table */
    reseal(buf, n);
    cr_assert_eq(reason_of(buf, n), HOST_REASON_FIELD);
    blq.mode = 9;
    cr_assert_eq(host_proto_encode_bl_req(1, &blq, buf, sizeof buf, &n), HOST_ERR_ARG);
    cr_assert_str_eq(host_reason_name(HOST_REASON_BAD_TAC), "BAD_TAC");
    cr_assert_str_eq(host_reason_name(250), "?");
}

/* ---- fare tables and terminal parameters ----------------------------------------- */

static void zone_table(host_fare_table *t)
{
    memset(t, 0, sizeof *t);
    t->version = 3;
    t->operator_id = 1;
    t->kind = HOST_FARE_ZONE;
    t->max_fare = 600;
    t->n_stations = 3;
    t->stations[0] = (host_fare_station){101, 0, 0};
    t->stations[1] = (host_fare_station){102, 1, 0};
    t->stations[2] = (host_fare_station){103, 2, 0};
    t->n_zones = 3;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            t->zone_fares[i][j] = 200u + 200u * (uint32_t)abs(i - j);
    t->n_discounts = 1;
    t->discounts[0] = (host_fare_discount){1, 50};
    t->n_transfers = 1;
    t->transfers[0] = (host_fare_transfer){2, 90, 100};
}

Test(host_fare, zone_discount_transfer_cap)
{
    host_fare_table t;
    host_fare_prev prev = {2, 30};
    uint32_t f;

    zone_table(&t);
    cr_assert_eq(host_fare_compute(&t, 0, 101, 101, NULL, &f), 0);
    cr_assert_eq(f, 200u);
    cr_assert_eq(host_fare_compute(&t, 0, 101, 103, NULL, &f), 0);
    cr_assert_eq(f, 600u);
    cr_assert_eq(host_fare_compute(&t, 1, 101, 102, NULL, &f), 0);
    cr_assert_eq(f, 200u); /* 400 at half fare */
    cr_assert_eq(host_fare_compute(&t, 0, 101, 102, &prev, &f), 0);
    cr_assert_eq(f, 300u); /* transfer from operator 2 within 90 min */
    prev.minutes_since = 91;
    cr_assert_eq(host_fare_compute(&t, 0, 101, 102, &prev, &f), 0);
    cr_assert_eq(f, 400u);
    t.max_fare = 500;
    cr_assert_eq(host_fare_compute(&t, 0, 101, 103, NULL, &f), 0);
    cr_assert_eq(f, 500u); /* capped */
    cr_assert_eq(host_fare_compute(&t, 0, 101, 999, NULL, &f), HOST_ERR_NOTFOUND);
    t.stations[2].zone = 7;
    cr_assert_eq(host_fare_check(&t), HOST_ERR_ARG);
}

Test(host_fare, distance_bands)
{
    host_fare_table t;
    uint32_t f;

    memset(&t, 0, sizeof t);
    t.kind = HOST_FARE_DISTANCE;
    t.n_stations = 3;
    t.stations[0] = (host_fare_station){1, 0, 0};
    t.stations[1] = (host_fare_station){2, 0, 6000};
    t.stations[2] = (host_fare_station){3, 0, 40000};
    t.n_bands = 3;
    t.bands[0] = (host_fare_band){6000, 300};
    t.bands[1] = (host_fare_band){12000, 400};
    t.bands[2] = (host_fare_band){32000, 600};
    cr_assert_eq(host_fare_compute(&t, 0, 1, 2, NULL, &f), 0);
    cr_assert_eq(f, 300u);
    cr_assert_eq(host_fare_compute(&t, 0, 2, 1, NULL, &f), 0);
    cr_assert_eq(f, 300u);
    cr_assert_eq(host_fare_compute(&t, 0, 1, 3, NULL, &f), 0);
    cr_assert_eq(f, 600u); /* beyond the last band: its fare */
    t.bands[1].up_to = 5000;
    cr_assert_eq(host_fare_check(&t), HOST_ERR_ARG);
}

Test(host_fare, payload_round_trip_and_malformed)
{
    host_fare_table t, back;
    uint8_t buf[4096];
    size_t n;

    zone_table(&t);
    cr_assert_eq(host_fare_encode(&t, buf, sizeof buf, &n), 0);
    cr_assert_eq(n, host_fare_size(&t));
    cr_assert_eq(host_fare_decode(buf, n, &back), 0);
    cr_assert_eq(memcmp(&t, &back, sizeof t), 0);
    cr_assert_eq(host_fare_decode(buf, n - 1, &back), HOST_ERR_BADMSG);
    buf[15] = 17; /* zones beyond the maximum */
    cr_assert_eq(host_fare_decode(buf, n, &back), HOST_ERR_BADMSG);
    cr_assert_eq(host_fare_encode(&t, buf, n - 1, &n), HOST_ERR_NOSPACE);
}

Test(host_fare, terminal_params_tlv)
{
    host_term_params p, back;
    uint8_t buf[256];
    size_t n;

    memset(&p, 0, sizeof p);
    p.version = 2;
    p.set_id = 1;
    p.operator_id = 1;
    p.max_offline_amount = 50000;
    p.min_entry_balance = 200;
    p.purchase_key_index = 1;
    p.purchase_key_version = 1;
    p.upload_interval_s = 300;
    p.max_batch_records = 1000;
    p.blacklist_max_age_h = 24;
    memcpy(p.issuer, "\x10\x00\x00\x00\x31\x00\x00\x00", 8);
    p.accepted_card_types = 0x7;
    cr_assert_eq(host_term_params_encode(&p, buf, sizeof buf, &n), 0);
    cr_assert_eq(host_term_params_decode(buf, n, &back), 0);
    cr_assert_eq(memcmp(&p, &back, sizeof p), 0);
    /* An unknown tag is skipped (forward compatibility)... */
    memcpy(buf + n, "\x7E\x03\x01\x02\x03", 5);
    cr_assert_eq(host_term_params_decode(buf, n + 5, &back), 0);
    cr_assert_eq(back.max_batch_records, 1000);
    /* ...a known tag with the wrong length or a cut TLV is not. */
    memcpy(buf + n, "\x03\x02\x01\x02", 4);
    cr_assert_eq(host_term_params_decode(buf, n + 4, &back), HOST_ERR_BADMSG);
    cr_assert_eq(host_term_params_decode(buf, n + 1, &back), HOST_ERR_BADMSG);
}
