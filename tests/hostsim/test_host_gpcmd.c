/*
 * obol tests: the GlobalPlatform content management builders (GP CS 2.3 chapter 11).
 *
 * Byte-exact APDUs assembled by hand from the clauses; the INSTALL [for load] and
 * [for install and make selectable] and DELETE builders are also checked against
 * kaoh/globalplatform's recorded session in test_host_scp02.c, GET STATUS against
 * kaoh's and pySim's.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "obol/host_gp.h"
#include "host_ref.h"

#define HEX(buf, str) ref_hex((str), (buf), sizeof(buf))

static const uint8_t APP[] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10};
static const uint8_t ISD[] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
    uint8_t w[300];
    size_t n = HEX(w, want);

    cr_assert_eq(len, n, "length %zu, expected %zu (%s)", len, n, want);
    cr_assert_arr_eq(got, w, n, "bytes differ from %s", want);
}

Test(host_gpcmd, install_for_load_with_hash_and_token)
{
    static const uint8_t elf[] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x10};
    static const uint8_t hash[] = {0x11, 0x22, 0x33, 0x44};
    static const uint8_t token[] = {0xAA, 0xBB};
    host_gp_install in;
    uint8_t out[64];
    size_t n;

    memset(&in, 0, sizeof in);
    in.p1 = HOST_GP_INSTALL_LOAD;
    in.elf_aid = elf;
    in.elf_aid_len = sizeof elf;
    in.hash = hash;
    in.hash_len = sizeof hash;
    in.token = token;
    in.token_len = sizeof token;
    cr_assert_eq(host_gp_install_cmd(&in, out, sizeof out, &n), 0);
    assert_hex(out, n, "80E6020011 06A00000000310 00 0411223344 00 02AABB 00");
}

Test(host_gpcmd, install_for_install_three_byte_privileges)
{
    static const uint8_t elf[] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x10};
    static const uint8_t priv[] = {0x80, 0xC0, 0x00};
    static const uint8_t params[] = {0xC9, 0x00};
    host_gp_install in;
    uint8_t out[64];
    size_t n;

    memset(&in, 0, sizeof in);
    in.p1 = HOST_GP_INSTALL_INSTALL;
    in.elf_aid = elf;
    in.elf_aid_len = sizeof elf;
    in.module_aid = APP;
    in.module_aid_len = sizeof APP;
    in.app_aid = APP;
    in.app_aid_len = sizeof APP;
    in.privileges = priv;
    in.privileges_len = sizeof priv;
    in.params = params;
    in.params_len = sizeof params;
    cr_assert_eq(host_gp_install_cmd(&in, out, sizeof out, &n), 0);
    assert_hex(out, n,
               "80E604001F 06A00000000310 07A0000000031010 07A0000000031010 0380C000 02C900 00 00");
    in.privileges_len = 2;
    cr_assert_eq(host_gp_install_cmd(&in, out, sizeof out, &n), HOST_ERR_ARG);
}

Test(host_gpcmd, install_selectable_perso_extradition)
{
    static const uint8_t priv = 0x00;
    host_gp_install in;
    uint8_t out[64];
    size_t n;

    memset(&in, 0, sizeof in);
    in.p1 = HOST_GP_INSTALL_SELECTABLE;
    in.app_aid = APP;
    in.app_aid_len = sizeof APP;
    in.privileges = &priv;
    in.privileges_len = 1;
    cr_assert_eq(host_gp_install_cmd(&in, out, sizeof out, &n), 0);
    assert_hex(out, n, "80E608000E 0000 07A0000000031010 0100 00 00 00");

    in.p1 = HOST_GP_INSTALL_PERSO;
    cr_assert_eq(host_gp_install_cmd(&in, out, sizeof out, &n), 0);
    assert_hex(out, n, "80E620000D 0000 07A0000000031010 000000 00");

    in.p1 = HOST_GP_INSTALL_EXTRADITION;
    in.sd_aid = ISD;
    in.sd_aid_len = sizeof ISD;
    cr_assert_eq(host_gp_install_cmd(&in, out, sizeof out, &n), 0);
    assert_hex(out, n, "80E6100015 08A000000151000000 00 07A0000000031010 00 00 00 00");

    in.p1 = 0x40;
    cr_assert_eq(host_gp_install_cmd(&in, out, sizeof out, &n), HOST_ERR_ARG);
    cr_assert_eq(host_gp_install_cmd(NULL, out, sizeof out, &n), HOST_ERR_ARG);
    in.p1 = HOST_GP_INSTALL_EXTRADITION;
    cr_assert_eq(host_gp_install_cmd(&in, out, 20, &n), HOST_ERR_NOSPACE);
}

Test(host_gpcmd, load_blocks_carry_the_c4_stream)
{
    uint8_t file[300], out[300], stream[400];
    size_t n, i, count, pos = 0;
    int last;

    for (i = 0; i < sizeof file; i++)
        file[i] = (uint8_t)i;
    count = host_gp_load_count(sizeof file, 128);
    cr_assert_eq(count, 3, "C4 82 01 2C + 300 bytes in blocks of 128");
    for (i = 0; i < count; i++) {
        cr_assert_eq(host_gp_load_cmd(file, sizeof file, 128, i, out, sizeof out, &n, &last), 0);
        cr_assert_eq(out[0], 0x80);
        cr_assert_eq(out[1], 0xE8);
        cr_assert_eq(out[2], i + 1 == count ? 0x80 : 0x00);
        cr_assert_eq(out[3], i);
        cr_assert_eq(last, i + 1 == count);
        cr_assert_eq(n, 5 + (size_t)out[4] + 1);
        cr_assert_eq(out[n - 1], 0x00, "Le");
        memcpy(stream + pos, out + 5, out[4]);
        pos += out[4];
    }
    cr_assert_eq(pos, 304);
    assert_hex(stream, 4, "C482012C");
    cr_assert_arr_eq(stream + 4, file, sizeof file);

    /* Short and one-byte BER lengths. */
    cr_assert_eq(host_gp_load_cmd(file, 3, 200, 0, out, sizeof out, &n, NULL), 0);
    assert_hex(out, n, "80E8800005 C403000102 00");
    cr_assert_eq(host_gp_load_cmd(file, 200, 250, 0, out, sizeof out, &n, &last), 0);
    assert_hex(out, 8, "80E88000CB C481C8");
    cr_assert_eq(last, 1);

    cr_assert_eq(host_gp_load_count(100, 0), 0);
    cr_assert_eq(host_gp_load_count(100, 256), 0);
    cr_assert_eq(host_gp_load_count(60000, 16), 0, "more than 256 blocks");
    cr_assert_eq(host_gp_load_cmd(file, sizeof file, 128, 3, out, sizeof out, &n, &last),
                 HOST_ERR_ARG);
    cr_assert_eq(host_gp_load_cmd(file, sizeof file, 128, 0, out, 100, &n, &last),
                 HOST_ERR_NOSPACE);
}

Test(host_gpcmd, delete_get_status_set_status_store_data)
{
    uint8_t out[300], data[300];
    size_t n;

    cr_assert_eq(host_gp_delete_cmd(ISD, sizeof ISD, 0, out, sizeof out, &n), 0);
    assert_hex(out, n, "80E400000A 4F08A000000151000000 00");
    cr_assert_eq(host_gp_delete_cmd(ISD, 4, 0, out, sizeof out, &n), HOST_ERR_ARG);
    cr_assert_eq(host_gp_delete_cmd(data, 17, 0, out, sizeof out, &n), HOST_ERR_ARG);

    cr_assert_eq(host_gp_get_status_cmd(0x80, 0, NULL, 0, out, sizeof out, &n), 0);
    assert_hex(out, n, "80F28002024F0000");
    cr_assert_eq(host_gp_get_status_cmd(0x40, 1, APP, sizeof APP, out, sizeof out, &n), 0);
    assert_hex(out, n, "80F2400309 4F07A0000000031010 00");

    cr_assert_eq(host_gp_set_status_cmd(0x40, 0x0F, APP, sizeof APP, out, sizeof out, &n), 0);
    assert_hex(out, n, "80F0400F07 A0000000031010");
    cr_assert_eq(host_gp_set_status_cmd(0x80, 0x7F, NULL, 0, out, sizeof out, &n), 0);
    assert_hex(out, n, "80F0807F");
    cr_assert_eq(host_gp_set_status_cmd(0x40, 0x83, NULL, 0, out, sizeof out, &n), HOST_ERR_ARG);

    HEX(data, "0101 03 AABBCC");
    cr_assert_eq(host_gp_store_data_cmd(HOST_GP_STORE_LAST | HOST_GP_STORE_DGI, 0x00, data, 6, out,
                                        sizeof out, &n),
                 0);
    assert_hex(out, n, "80E2880006 010103AABBCC");
    cr_assert_eq(host_gp_store_data_cmd(0x00, 0x01, data, 0, out, sizeof out, &n), HOST_ERR_ARG);
    cr_assert_eq(host_gp_store_data_cmd(0x00, 0x01, data, 256, out, sizeof out, &n), HOST_ERR_ARG);
    cr_assert_eq(host_gp_store_data_cmd(0x00, 0x01, data, 255, out, sizeof out, &n), 0);
    cr_assert_eq(n, 260);
    cr_assert_eq(host_gp_store_data_cmd(0x00, 0x01, data, 10, out, 14, &n), HOST_ERR_NOSPACE);
}
