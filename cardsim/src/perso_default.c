/*
 * obol card OS: the default test card (cos_perso_default()).
 *
 * ALL KEYS AND PINS HERE ARE TEST VALUES, published in the repository: never use
 * them on a real card.
 *
 *   MF 3F00 (name "1PAY.SYS.DDF01" is not used: the MF has no name)
 *   |- EF 0001 SFI 1 transparent 32 bytes   read always   update always
 *   |- EF 0002 SFI 2 linear fixed 5 x 16    read always   update PIN 1   (2 records)
 *   |- EF 0003 SFI 3 cyclic 3 x 8           read always   update always
 *   |- EF 0004 SFI 4 transparent 16         read PIN 1    update MAC (key 1)
 *   |- EF 0005 SFI 5 transparent 16         read AUTH 1   update never
 *   |- EF 0006 SFI 6 transparent 300        read always   update always (extended)
 *   |- EF 0007 SFI 7 linear fixed 2 x 16    read always   update MAC (key 1) (1 rec)
 *   |- PIN 1 "1234" (31323334, room for 8), 3 tries, resetting code PIN 2
 *   |- PIN 2 "12345678", 5 tries
 *   |- keys, 3DES 16 bytes, 3 tries: EXT_AUTH 1 = 40..4F, INT_AUTH 1 = 50..5F,
 *   |  SM_MAC 1 = 60..6F, APP_MAINT 1 = 70..7F
 *   |- DF 1000 name D156000001 (plain DF, no applet)
 *   |  |- EF 0101 SFI 1 transparent 8, PIN 1 "4321" (DF-specific), 3 tries
 *   |- ADF 2000 AID F06F626F6C4101 instance of TEST_CLASS (install parameter "A")
 *   |  |- SM_MAC 1 = 60..6F and APP_MAINT 1 = 70..7F, plus what install() creates
 *   |- ADF 2100 AID F06F626F6C4201 instance of TEST_CLASS (install parameter "B")
 */
#include "cos_internal.h"

static const uint8_t pin1[] = {'1', '2', '3', '4'};
static const uint8_t pin2[] = {'1', '2', '3', '4', '5', '6', '7', '8'};
static const uint8_t pin_df[] = {'4', '3', '2', '1'};
static const uint8_t df_name[] = {0xD1, 0x56, 0x00, 0x00, 0x01};
static const uint8_t aid_a[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x41, 0x01};
static const uint8_t aid_b[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x42, 0x01};

static void test_key(uint8_t first, uint8_t out[16])
{
    for (int i = 0; i < 16; i++)
        out[i] = (uint8_t)(first + i);
}

static int keys(cos_card *c, cos_oid df, int all)
{
    static const uint8_t usage[4] = {COS_KEY_SM_MAC, COS_KEY_APP_MAINT, COS_KEY_EXT_AUTH,
                                     COS_KEY_INT_AUTH};
    static const uint8_t first[4] = {0x60, 0x70, 0x40, 0x50};
    uint8_t v[16];
    int rc = 0;

    for (int i = 0; rc == 0 && i < (all ? 4 : 2); i++) {
        cos_key_spec s = {usage[i], 1, 1, COS_ALG_DES, 16, 3, v};
        test_key(first[i], v);
        rc = cos_perso_key(c, df, &s, NULL);
    }
    return rc;
}

int cos_perso_default(cos_card *c, uint16_t test_class, uint8_t options)
{
    static const uint8_t text[] = "obol test card";
    static const uint8_t recs[32] = {0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
                                     0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
                                     0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
                                     0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02};
    const cos_ef_spec efs[] = {
        {0x0001, 1, COS_EF_TRANSPARENT, COS_AC_ALWAYS, COS_AC_ALWAYS, 32, 0, 0, text,
         sizeof text - 1},
        {0x0002, 2, COS_EF_LINEAR, COS_AC_ALWAYS, COS_AC_PIN(1), 0, 16, 5, recs, 32},
        {0x0003, 3, COS_EF_CYCLIC, COS_AC_ALWAYS, COS_AC_ALWAYS, 0, 8, 3, NULL, 0},
        {0x0004, 4, COS_EF_TRANSPARENT, COS_AC_PIN(1), COS_AC_SM(1), 16, 0, 0, NULL, 0},
        {0x0005, 5, COS_EF_TRANSPARENT, COS_AC_AUTH(1), COS_AC_NEVER, 16, 0, 0, text, 8},
        {0x0006, 6, COS_EF_TRANSPARENT, COS_AC_ALWAYS, COS_AC_ALWAYS, 300, 0, 0, NULL, 0},
        {0x0007, 7, COS_EF_LINEAR, COS_AC_ALWAYS, COS_AC_SM(1), 0, 16, 2, recs, 16},
    };
    cos_format_params fp = {0, options, NULL, 0};
    uint8_t atr[40];
    size_t atrlen;
    cos_oid mf, df;
    int rc;

    rc = cos_format(c, &fp);
    if (rc == 0)
        rc = cos_power_on(c, COS_IF_CONTACT, 0, atr, sizeof atr, &atrlen);
    if (rc < 0)
        return rc;
    mf = cos_perso_mf(c);
    for (size_t i = 0; rc == 0 && i < sizeof efs / sizeof efs[0]; i++)
        rc = cos_perso_ef(c, mf, &efs[i], NULL);
    if (rc == 0)
        rc = cos_perso_pin(c, mf, 1, pin1, sizeof pin1, 8, 3, 2, NULL);
    if (rc == 0)
        rc = cos_perso_pin(c, mf, 2, pin2, sizeof pin2, 8, 5, 0, NULL);
    if (rc == 0)
        rc = keys(c, mf, 1);
    if (rc == 0) {
        cos_df_spec d = {0x1000, df_name, sizeof df_name, NULL, 0};
        rc = cos_perso_df(c, mf, &d, &df);
    }
    if (rc == 0) {
        cos_ef_spec e = {0x0101, 1, COS_EF_TRANSPARENT, COS_AC_ALWAYS, COS_AC_ALWAYS, 8, 0, 0,
                         NULL,   0};
        rc = cos_perso_ef(c, df, &e, NULL);
    }
    if (rc == 0)
        rc = cos_perso_pin(c, df, 1, pin_df, sizeof pin_df, 8, 3, 0, NULL);
    if (rc == 0 && test_class) {
        cos_inst_spec s = {{0x2000, aid_a, sizeof aid_a, NULL, 0},
                           test_class,
                           (const uint8_t *)"A",
                           1,
                           0,
                           {0, 0, 0},
                           0};
        cos_oid a;
        rc = cos_inst_create(c, mf, &s, &a);
        if (rc == 0)
            rc = keys(c, a, 0);
        if (rc == 0) {
            s.df.fid = 0x2100;
            s.df.name = aid_b;
            s.params = (const uint8_t *)"B";
            rc = cos_inst_create(c, mf, &s, NULL);
        }
    }
    if (rc == 0)
        rc = cos_perso_finish(c);
    cos_power_off(c);
    return rc > 0 ? COS_ERR_APPLET : rc;
}
