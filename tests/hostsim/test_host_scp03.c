/*
 * obol tests: the host's SCP03 client (GP CS 2.3 Amendment D).
 *
 * Vectors: PROTOCOLS.md (omfgp: session keys, cryptograms, EXTERNAL AUTHENTICATE),
 * pySim test_globalplatform.py (AES-128/192/256 at levels 11, 03 and 33: wrapping,
 * R-MAC and R-ENC), kaoh/globalplatform scp03Test.c (level 03 sessions, pseudo-random
 * card challenges, chained GET STATUS). MAC chaining, the encryption counter and R-MAC
 * chains without a published vector are pinned against the formulas coded in the test
 * on host_ref.c. Error paths: wrong cryptogram, challenge and R-MAC, bad lengths.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "obol/host_crypto.h"
#include "obol/host_gp.h"
#include "host_ref.h"

#define HEX(buf, str) ref_hex((str), (buf), sizeof(buf))

static const uint8_t ISD[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
    uint8_t w[300];
    size_t n = HEX(w, want);

    cr_assert_eq(len, n, "length %zu, expected %zu (%s)", len, n, want);
    cr_assert_arr_eq(got, w, n, "bytes differ from %s", want);
}

static host_gp_keys keys3(const char *enc, const char *mac, const char *dek, uint8_t kvn)
{
    host_gp_keys k;

    memset(&k, 0, sizeof k);
    k.len = HEX(k.enc, enc);
    HEX(k.mac, mac);
    HEX(k.dek, dek);
    k.kvn = kvn;
    return k;
}

/* Session set-up through EXTERNAL AUTHENTICATE; RSP_HEX without the status word. */
static int open_session(host_gp_session *s, const host_gp_keys *k, const uint8_t *aid,
                        size_t aid_len, const char *hc_hex, const char *rsp_hex, uint8_t level,
                        uint8_t *ea, size_t *ea_len)
{
    uint8_t hc[8], iu[32], rsp[64];
    size_t n, rl;

    cr_assert_eq(host_gp_session_init(s, HOST_GP_SCP03, 0, k, aid, aid_len), 0);
    HEX(hc, hc_hex);
    cr_assert_eq(host_gp_init_update(s, hc, iu, sizeof iu, &n), 0);
    cr_assert_eq(iu[2], k->kvn);
    rl = HEX(rsp, rsp_hex);
    rsp[rl++] = 0x90;
    rsp[rl++] = 0x00;
    return host_gp_open(s, rsp, rl, level, ea, 32, ea_len);
}

static void confirm(host_gp_session *s)
{
    static const uint8_t ok[2] = {0x90, 0x00};
    cr_assert_eq(host_gp_confirm(s, ok, 2), 0);
}

static void wrap_expect(host_gp_session *s, const char *plain_hex, const char *want_hex)
{
    uint8_t in[300], out[300];
    size_t n = HEX(in, plain_hex), on;

    cr_assert_eq(host_gp_wrap(s, in, n, out, sizeof out, &on), 0, "wrap %s", plain_hex);
    assert_hex(out, on, want_hex);
}

Test(host_scp03, protocols_vector_session_and_external_authenticate)
{
    const char *k40 = "404142434445464748494A4B4C4D4E4F";
    host_gp_keys k = keys3(k40, k40, k40, 0x30);
    host_gp_session s;
    uint8_t ea[32];
    size_t n;

    cr_assert_eq(open_session(&s, &k, NULL, 0, "68E9C8799FF8CB46",
                              "00000000000000000000 300300 F8D89D88BA1287BF 9B5C9D42D5059430", 0x01,
                              ea, &n),
                 0);
    assert_hex(s.s_enc, 16, "3C64070C595D1D72BDEE692DA99B7AE4");
    assert_hex(s.s_mac, 16, "6E8468B74A707842E3D3696F338D2657");
    assert_hex(s.s_rmac, 16, "FDD1D7C84750994815D0082734C31D88");
    assert_hex(ea, n, "8482010010F3C7624565B5894F16EF5681573C34A2");
    /* The host cryptogram is the KDF with constant 01 (Amendment D 6.2.2.3). */
    {
        uint8_t ctx[16], hcg[8];
        HEX(ctx, "68E9C8799FF8CB46F8D89D88BA1287BF");
        ref_scp03_kdf(s.s_mac, 16, 0x01, ctx, 16, 64, hcg);
        cr_assert_arr_eq(ea + 5, hcg, 8);
    }
}

/* pySim test_globalplatform.py: one row per class SCP03_Test_AES{128,192,256}_{11,03,33}. */
typedef struct pysim_row {
    int bits;
    const char *iu_cmd, *iu_rsp, *ea, *eid_cmd, *eid_rsp, *c1, *c2, *c3, *c4;
} pysim_row;

static const pysim_row PYSIM[] = {
    {128, "8050300008b13e5f938fc108c400",
     "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
     "84821100107d5f5826a993ebc89eea24957fa0b3ce", "84e291000ebf3e035c015a558d036518a2829700",
     "bf3e125a1089882119900000000000000000000005971be68992dbbdfa", "84f220020863a63f8959827fb2",
     "84ca006608a0c6a4a74166f7ce00", "84f22002124f0212345c054f9f70c52249b50272656536",
     "84f280020a4f00e91443f6dce6b8ed00"},
    {128, "80503000088e1552d0513c60f300",
     "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
     "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
     "84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00",
     "bf3e125a1089882119900000000000000000000005", "84f2200208c9811b11f1264cf1",
     "84ca006608e10ab60b3054798800", "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
     "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800"},
    {128, "8050300008fdf38259a1e0de4400",
     "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
     "84823300108c36f96bcc00724a4e13ad591d7da3f0",
     "84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
     "f3ba2b1013aa6224f5e1c138d71805c569e5439b47576260b75fc021b25097cb2e68f8a0144975b9",
     "84f2200208ac6a59024bed84cc", "84ca006608409912ad8fb7aed000",
     "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
     "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00"},
    {192, "80503100087396430b768b085b00",
     "000000000000000000003103708cfc23522ffdbf1e5df5542cac8fd866000003",
     "84821100102145ed30b146f5db252fb7e624cec244", "84e291000ebf3e035c015aff42cf801d14394400",
     "bf3e125a1089882119900000000000000000000005162fbd33e04940a9", "84f22002084584e4f6784811ee",
     "84ca006608937776ebe190fa3000", "84f22002124f0212345c054f9f70c59a52bddf3040368c",
     "84f280020a4f009804b11411f7393d00"},
    {192, "805031000869c65da8202bf19f00",
     "00000000000000000000310370b570a67be38446717729d6dd3d2ec5b1000001",
     "848203001065df4f1a356a887905466516d9e5b7c1",
     "84e2910018d2c6fb477c5d4afe4fd4d21f17eff10d3578ec1774a12a2d00",
     "bf3e125a1089882119900000000000000000000005", "84f2200208964e188f0b1bb697",
     "84ca006608f0820035a41d3e1800", "84f220021806b076ed452cd1fa84f77f5c08a146aa77a9286757dea791",
     "84f2800218d06527e39222dce091fabdb8e9b898417a67a6852d3577db00"},
    {192, "80503100089b3f2eef0e8c937400",
     "00000000000000000000310370f6bb305a15bae1a68f79fb08212fbed7000002",
     "84823300109100bc22d58b45b86a26365ce39ff3cf",
     "84e29100188f7f946c84f70d17994bc6e8791251bb1bb1bf02cf8de58900",
     "c05176c1b6f72aae50c32cbee63b0e95998928fd4dfb2be9f27ffde8c8476f5909b4805cc4039599",
     "84f2200208d5d97754b6b3d2ba", "84ca006608516c82b8e30adbeb00",
     "84f2200218cc247f4761e6944277a4e0d6e32e44025b1e31537e2fc668",
     "84f2800218ba22b63d509bef5d093b43e5eaed03ed23144ab2d9cb51de00"},
    {256, "805032000811666d57866c6f5400",
     "0000000000000000000032037053ea8847efa7674e41498a4d66cf0dee000003",
     "84821100102f2ad190eff2fafc4908996d1cebd310", "84e291000ebf3e035c015af4b680372542b59d00",
     "bf3e125a10898821199000000000000000000000058012dd7f01f1c4c1", "84f2200208d618b7da68d5fe52",
     "84ca0066088f3e055db23ad5e500", "84f22002124f0212345c054f9f70c5b6e15cc42404915e",
     "84f280020a4f00aa124aa74afe7f7500"},
    {256, "8050320008c6066990fc426e1d00",
     "000000000000000000003203708682cd81bbd8919f2de3f2664581f118000001",
     "848203001077c493b632edadaf865a1e64acc07ce9",
     "84e29100183ddaa60594963befaada3525b492ede23c2ab2c1ce3afe4400",
     "bf3e125a1089882119900000000000000000000005", "84f2200208480ddc8e419da38d",
     "84ca0066083e9d6a6c0b2d732000", "84f22002183ebfef2da8b04af2a85f491f299b76973df76ff08a4031be",
     "84f2800218783fff80990f5585b1055010ea95094a26e4a8f1ef4b18e100"},
    {256, "805032000897b2055fe58599fd00",
     "00000000000000000000320370a8439a22cedf045fa9f1903b2834f26e000002",
     "8482330010508a0fd959d2e547c6b33154a6be2057",
     "84e29100187a5ef717eaf1e135ae92fe54429d0e465decda65f5fe5aea00",
     "ea90dbfa648a67c5eb6abc57f8530b97d0cd5647c5e8732016b55203b078dd2ace7f8bc5d1c1cd99",
     "84f2200208bcc5c17275545d93", "84ca00660804806aba9d543bb600",
     "84f2200218717222491556ec81a45f49ce48be33320024801a1c4cb0e0",
     "84f2800218561f105bccd3a1642904b251ccc1228beb80a82370a8637000"},
};

static void pysim_keys(int bits, host_gp_keys *k)
{
    size_t i;

    memset(k, 0, sizeof *k);
    k->len = (size_t)bits / 8;
    for (i = 0; i < k->len; i++) {
        k->enc[i] = (uint8_t)(i % 16);
        k->mac[i] = (uint8_t)(0x10 + i % 16);
        k->dek[i] = (uint8_t)(0x20 + i % 16);
    }
}

Test(host_scp03, pysim_levels_11_03_33_all_key_lengths)
{
    size_t r;

    for (r = 0; r < sizeof PYSIM / sizeof PYSIM[0]; r++) {
        const pysim_row *v = &PYSIM[r];
        host_gp_keys k;
        host_gp_session s;
        uint8_t cmd[32], hc[8], iu[16], rsp[64], ea[32], out[64], plain[32];
        size_t n, rl, pl;

        pysim_keys(v->bits, &k);
        n = HEX(cmd, v->iu_cmd);
        k.kvn = cmd[2];
        memcpy(hc, cmd + 5, 8);
        cr_assert_eq(host_gp_session_init(&s, HOST_GP_SCP03, 0, &k, NULL, 0), 0);
        cr_assert_eq(host_gp_init_update(&s, hc, iu, sizeof iu, &n), 0);
        assert_hex(iu, n, v->iu_cmd);
        rl = HEX(rsp, v->iu_rsp);
        rsp[rl++] = 0x90;
        rsp[rl++] = 0x00;
        HEX(ea, v->ea);
        cr_assert_eq(host_gp_open(&s, rsp, rl, ea[2], out, sizeof out, &n), 0, "row %zu", r);
        assert_hex(out, n, v->ea);
        confirm(&s);
        wrap_expect(&s, "80E2910006BF3E035C015A00", v->eid_cmd);
        rl = HEX(rsp, v->eid_rsp);
        rsp[rl++] = 0x90;
        rsp[rl++] = 0x00;
        cr_assert_eq(host_gp_unwrap(&s, rsp, rl, out, sizeof out, &n), 0, "row %zu unwrap", r);
        pl = HEX(plain, "bf3e125a1089882119900000000000000000000005 9000");
        cr_assert_eq(n, pl, "row %zu", r);
        cr_assert_arr_eq(out, plain, pl, "row %zu", r);
        wrap_expect(&s, "80F22002", v->c1);
        wrap_expect(&s, "80ca006600", v->c2);
        wrap_expect(&s, "80F220020a4f0212345c054f9f70c5", v->c3);
        wrap_expect(&s, "80f28002024f0000", v->c4);
        host_gp_session_wipe(&s);
    }
}

static const char *const KAOH_ENC = "F995D0A069335C7DF42E590317FFEA6D";
static const char *const KAOH_MAC = "58563362EC5A4541ABCD32B34B1EAE7D";
static const char *const KAOH_DEK = "0A02A6D687406DCFA09DC70B3EDB7E38";

/* kaoh/globalplatform scp03Test.c delete_application: i=70 (pseudo-random challenge),
 * level 03, the ISD as invoking AID. */
Test(host_scp03, kaoh_delete_application)
{
    host_gp_keys k = keys3(KAOH_ENC, KAOH_MAC, KAOH_DEK, 0x00);
    host_gp_session s;
    static const uint8_t aid[] = {0xA0, 0x01, 0x00, 0x01, 0x51, 0x41, 0x43, 0x4C};
    uint8_t ea[32], cmd[64], out[64];
    size_t n, on;

    cr_assert_eq(
        open_session(&s, &k, ISD, sizeof ISD, "B2BDE1A2DC66BD56",
                     "00000000000000000000 300370 C40932A6FEFEAEB2 E127185170F45FCA 000015", 0x03,
                     ea, &n),
        0);
    assert_hex(ea, n, "848203001059D54D932423D29F6313C970875F8C2F");
    assert_hex(s.s_enc, 16, "9B841BB63D1087484FF7F16802017243");
    assert_hex(s.s_mac, 16, "8117FE5ADED74AC0DAABE9FB81DBDB67");
    assert_hex(s.s_rmac, 16, "4521D75E4D6F60DBFB8AB4EE254EF6F1");
    cr_assert_eq(s.i, 0x70);
    assert_hex(s.seq, 3, "000015");
    confirm(&s);
    cr_assert_eq(host_gp_delete_cmd(aid, sizeof aid, 1, cmd, sizeof cmd, &n), 0);
    /* kaoh sends this DELETE without Le; Le is outside the C-MAC either way. */
    cr_assert_eq(host_gp_wrap(&s, cmd, n - 1, out, sizeof out, &on), 0);
    assert_hex(out, on, "84E400801829F06AEC3180B3EFE91FF662310B945DE0D5FE66AD67A5B6");
}

Test(host_scp03, kaoh_mutual_auth_and_get_status)
{
    host_gp_keys k = keys3(KAOH_ENC, KAOH_MAC, KAOH_DEK, 0x00);
    host_gp_session s;
    uint8_t ea[32];
    size_t n;

    cr_assert_eq(
        open_session(&s, &k, ISD, sizeof ISD, "9BD6BF878FB8E991",
                     "00000000000000000000 300370 3C80C2CC87EB3A35 E4EDBA35E629C336 00001E", 0x03,
                     ea, &n),
        0);
    assert_hex(ea, n, "848203001023EBFEDC579D22CDCDB6A25A5FF7891F");
    assert_hex(s.s_enc, 16, "D83EE38C9954C8078987A5E9EE6AB13C");
    assert_hex(s.s_mac, 16, "6FF37716E0413065E8DFD08BF1E9EC5E");
    assert_hex(s.s_rmac, 16, "0254C786E57ACA8982670C1C1A05FF12");

    cr_assert_eq(
        open_session(&s, &k, ISD, sizeof ISD, "A6D40AEC55FE7986",
                     "00000000000000000000 300370 B6E362D0F90F8101 C34B7B21A7455320 000025", 0x03,
                     ea, &n),
        0);
    assert_hex(ea, n, "84820300103D958B36BB38AE5896A559345F81471A");
    confirm(&s);
    wrap_expect(&s, "80F24002024F0000",
                "84F2400218D18C9A7BB2B1B1C7ED1B24E1B1307CB9D71A66ABC55CBC3A00");
}

/* kaoh get_status_enc_mac: four chained GET STATUS at level 03 (counter 1 to 4). */
Test(host_scp03, kaoh_chained_get_status)
{
    static const char *const want[] = {
        "84F2200218705C4D16C7BAC5496AEE0ED9963222455472F3CFAC97BCCA00",
        "84F240021834AF0FEDDAE7C07308600587E1B1E6EC87811520D9A6AAAD00",
        "84F28002188D6CFE9EB359EACB9594D8EC161E45C10ED0138E34A10BF300",
        "84F21002183D98B6DE9CBF3905EAE4FAF5E141C58DAB7013D1076745C700"};
    static const uint8_t p1[] = {0x20, 0x40, 0x80, 0x10};
    host_gp_keys k = keys3(KAOH_ENC, KAOH_MAC, KAOH_DEK, 0x00);
    host_gp_session s;
    uint8_t ea[32], cmd[32], out[64];
    size_t n, on, i;

    cr_assert_eq(
        open_session(&s, &k, ISD, sizeof ISD, "DA2390D378D94B0A",
                     "00000000000000000000 300370 A7EFE2BFDB3A27A6 EAE3FF0EA0D17524 000085", 0x03,
                     ea, &n),
        0);
    assert_hex(ea, n, "8482030010953EEC5B4A81BF393ADC2ADFD638827A");
    confirm(&s);
    for (i = 0; i < 4; i++) {
        cr_assert_eq(host_gp_get_status_cmd(p1[i], 0, NULL, 0, cmd, sizeof cmd, &n), 0);
        cr_assert_eq(host_gp_wrap(&s, cmd, n, out, sizeof out, &on), 0);
        assert_hex(out, on, want[i]);
    }
    cr_assert_eq(s.enc_counter, 4);
}

/* kaoh get_status_aes_192: AES-192 static keys, i=10, KVN 02. */
Test(host_scp03, kaoh_aes192)
{
    const char *key = "DE2A3629CBC24E8D8869E82C8B4C0D874D88166B6F8A1C12";
    host_gp_keys k = keys3(key, key, key, 0x00);
    host_gp_session s;
    uint8_t ea[32];
    size_t n;

    cr_assert_eq(
        open_session(&s, &k, ISD, sizeof ISD, "4157115CAD7D2FE7",
                     "00008301A8186727A822 020310 726B1E22EED4F4BB AB21001BFD4B6F02 000012", 0x03,
                     ea, &n),
        0);
    assert_hex(ea, n, "84820300109B126D1B1557297F3C06766CA9ACBD27");
    cr_assert_eq(s.card_kvn, 0x02);
    confirm(&s);
    wrap_expect(&s, "80F22002024F0000",
                "84F2200218110C222888859059700E5D42AD65F41299B0BFFC03BF79A800");
}

Test(host_scp03, pseudo_random_challenge_checked)
{
    host_gp_keys k = keys3(KAOH_ENC, KAOH_MAC, KAOH_DEK, 0x00);
    host_gp_session s;
    uint8_t ea[32], chal[8], ctx[11];
    static const uint8_t other[] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x53, 0x50};
    size_t n;
    const char *rsp = "00000000000000000000 300370 C40932A6FEFEAEB2 E127185170F45FCA 000015";

    /* The formula: KDF(static ENC, 02, 64 bits, counter || AID). */
    HEX(ctx, "000015 A000000151000000");
    ref_scp03_kdf(k.enc, 16, 0x02, ctx, 11, 64, chal);
    assert_hex(chal, 8, "C40932A6FEFEAEB2");
    cr_assert_eq(open_session(&s, &k, other, sizeof other, "B2BDE1A2DC66BD56", rsp, 0x03, ea, &n),
                 HOST_ERR_CHALLENGE, "another invoking AID");
    cr_assert_eq(s.state, HOST_GP_FAILED);
    /* Without an AID the check is skipped and the cryptogram still decides. */
    cr_assert_eq(open_session(&s, &k, NULL, 0, "B2BDE1A2DC66BD56", rsp, 0x03, ea, &n), 0);
    /* Pseudo-random option announced but no sequence counter: malformed. */
    cr_assert_eq(open_session(&s, &k, ISD, sizeof ISD, "B2BDE1A2DC66BD56",
                              "00000000000000000000 300370 C40932A6FEFEAEB2 E127185170F45FCA", 0x03,
                              ea, &n),
                 HOST_ERR_PROTO);
}

Test(host_scp03, wrong_cryptogram_and_malformed_responses)
{
    host_gp_keys k = keys3(KAOH_ENC, KAOH_MAC, KAOH_DEK, 0x00);
    host_gp_session s;
    uint8_t ea[32], hc[8] = {0}, iu[16];
    size_t n;
    const char *hc_hex = "B2BDE1A2DC66BD56";

    cr_assert_eq(
        open_session(&s, &k, ISD, sizeof ISD, hc_hex,
                     "00000000000000000000 300370 C40932A6FEFEAEB2 E127185170F45FCB 000015", 0x03,
                     ea, &n),
        HOST_ERR_CRYPTOGRAM);
    cr_assert_eq(s.state, HOST_GP_FAILED);
    cr_assert_eq(
        open_session(&s, &k, ISD, sizeof ISD, hc_hex,
                     "00000000000000000000 300270 C40932A6FEFEAEB2 E127185170F45FCA 000015", 0x03,
                     ea, &n),
        HOST_ERR_PROTO, "SCP identifier 02");
    cr_assert_eq(open_session(&s, &k, ISD, sizeof ISD, hc_hex,
                              "00000000000000000000 300370 C40932A6FEFEAEB2 E127185170F45FCA 0000",
                              0x03, ea, &n),
                 HOST_ERR_PROTO, "31 bytes");
    /* Levels: undefined, or beyond what the card's i supports. */
    cr_assert_eq(
        open_session(&s, &k, ISD, sizeof ISD, hc_hex,
                     "00000000000000000000 300370 C40932A6FEFEAEB2 E127185170F45FCA 000015", 0x02,
                     ea, &n),
        HOST_ERR_ARG);
    cr_assert_eq(
        open_session(&s, &k, ISD, sizeof ISD, hc_hex,
                     "00000000000000000000 300310 C40932A6FEFEAEB2 E127185170F45FCA 000015", 0x33,
                     ea, &n),
        HOST_ERR_UNSUPPORTED, "i=10 has no R-MAC/R-ENC");
    /* The caller expected another option than the card reports. */
    cr_assert_eq(host_gp_session_init(&s, HOST_GP_SCP03, 0x60, &k, NULL, 0), 0);
    cr_assert_eq(host_gp_init_update(&s, hc, iu, sizeof iu, &n), 0);
    {
        uint8_t rsp[40];
        size_t rl = HEX(rsp, "00000000000000000000 300370 C40932A6FEFEAEB2 E127185170F45FCA "
                             "000015 9000");
        cr_assert_eq(host_gp_open(&s, rsp, rl, 0x03, ea, sizeof ea, &n), HOST_ERR_PROTO);
        cr_assert_eq(host_gp_open(&s, rsp, rl, 0x03, ea, 20, &n), HOST_ERR_NOSPACE);
    }
    k.len = 20;
    cr_assert_eq(host_gp_session_init(&s, HOST_GP_SCP03, 0, &k, NULL, 0), HOST_ERR_ARG);
}

/* The C-MAC chain, encryption counter, R-MAC and R-ENC of Amendment D 6.2.4-6.2.7
 * coded here, over a sequence with data, without data and with an error status. */
typedef struct ref_session {
    uint8_t senc[16], smac[16], srmac[16], chain[16];
    uint32_t counter;
} ref_session;

static void ref_icv(const ref_session *r, int response, uint8_t icv[16])
{
    uint8_t blk[16] = {0};

    blk[12] = (uint8_t)(r->counter >> 24);
    blk[13] = (uint8_t)(r->counter >> 16);
    blk[14] = (uint8_t)(r->counter >> 8);
    blk[15] = (uint8_t)r->counter;
    if (response)
        blk[0] = 0x80;
    ref_aes_block(r->senc, 16, 1, blk, icv);
}

/* Expected wrap of PLAIN (case 1 to 4) at a level with C-DEC. */
static size_t ref_wrap(ref_session *r, const uint8_t *plain, size_t n, uint8_t *out)
{
    uint8_t data[272], icv[16], mac_in[16 + 5 + 272];
    size_t lc = n > 5 ? plain[4] : 0, dl = 0, o;
    int le = n == 5 || n > 5 + lc;

    r->counter++;
    if (lc > 0) {
        memcpy(data, plain + 5, lc);
        data[lc] = 0x80;
        dl = lc + 1;
        while (dl % 16)
            data[dl++] = 0;
        ref_icv(r, 0, icv);
        ref_aes_cbc(r->senc, 16, 1, icv, data, data, dl);
    }
    memcpy(mac_in, r->chain, 16);
    mac_in[16] = 0x84;
    memcpy(mac_in + 17, plain + 1, 3);
    mac_in[20] = (uint8_t)(dl + 8);
    memcpy(mac_in + 21, data, dl);
    ref_cmac(r->smac, 16, mac_in, 21 + dl, r->chain);
    memcpy(out, mac_in + 16, 5 + dl);
    memcpy(out + 5 + dl, r->chain, 8);
    o = 13 + dl;
    if (le)
        out[o++] = plain[n - 1];
    return o;
}

/* A card response: DATA encrypted when RENC, R-MAC appended, SW. */
static size_t ref_response(ref_session *r, int renc, const uint8_t *data, size_t dl, uint8_t sw1,
                           uint8_t sw2, uint8_t *out)
{
    uint8_t mac_in[16 + 272], icv[16], mac[16];
    size_t n = dl;

    memcpy(out, data, dl);
    if (renc && dl > 0) {
        out[n++] = 0x80;
        while (n % 16)
            out[n++] = 0;
        ref_icv(r, 1, icv);
        ref_aes_cbc(r->senc, 16, 1, icv, out, out, n);
    }
    memcpy(mac_in, r->chain, 16);
    memcpy(mac_in + 16, out, n);
    mac_in[16 + n] = sw1;
    mac_in[17 + n] = sw2;
    ref_cmac(r->srmac, 16, mac_in, 18 + n, mac);
    memcpy(out + n, mac, 8);
    out[n + 8] = sw1;
    out[n + 9] = sw2;
    return n + 10;
}

static void chain_run(uint8_t level)
{
    static const char *const cmds[] = {"80CA006600", "80E2800005DF01020304", "80F22002",
                                       "80F28002024F0000",
                                       "80E28001114F0F000102030405060708090A0B0C0D0E00"};
    const char *k40 = "404142434445464748494A4B4C4D4E4F";
    host_gp_keys k = keys3(k40, k40, k40, 0x30);
    host_gp_session s;
    ref_session r;
    uint8_t ea[32], ctx[16], plain[64], want[96], out[96], rsp[96], data[40];
    size_t n, wn, on, rl, i;

    cr_assert_eq(open_session(&s, &k, NULL, 0, "68E9C8799FF8CB46",
                              "00000000000000000000 300360 F8D89D88BA1287BF 9B5C9D42D5059430",
                              level, ea, &n),
                 0);
    confirm(&s);
    memset(&r, 0, sizeof r);
    HEX(ctx, "68E9C8799FF8CB46F8D89D88BA1287BF");
    ref_scp03_kdf(k.enc, 16, 0x04, ctx, 16, 128, r.senc);
    ref_scp03_kdf(k.mac, 16, 0x06, ctx, 16, 128, r.smac);
    ref_scp03_kdf(k.mac, 16, 0x07, ctx, 16, 128, r.srmac);
    /* The chain starts as the full C-MAC of EXTERNAL AUTHENTICATE. */
    {
        uint8_t mi[16 + 13] = {0};
        memcpy(mi + 16, ea, 13);
        ref_cmac(r.smac, 16, mi, sizeof mi, r.chain);
        cr_assert_arr_eq(ea + 13, r.chain, 8);
    }
    for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        n = HEX(plain, cmds[i]);
        wn = ref_wrap(&r, plain, n, want);
        cr_assert_eq(host_gp_wrap(&s, plain, n, out, sizeof out, &on), 0);
        cr_assert_eq(on, wn, "command %zu", i);
        cr_assert_arr_eq(out, want, wn, "command %zu", i);
        /* Answers: data + 9000, no data + 6310, an error (no R-MAC), data + 9000. */
        for (n = 0; n < sizeof data; n++)
            data[n] = (uint8_t)(i * 16 + n);
        if (i == 2) {
            uint8_t err[2] = {0x6A, 0x82};
            cr_assert_eq(host_gp_unwrap(&s, err, 2, out, sizeof out, &on), 0);
            cr_assert_eq(on, 2);
            cr_assert_eq(out[0], 0x6A);
            continue;
        }
        n = i == 1 ? 0 : 5 + 7 * i;
        rl = ref_response(&r, level & 0x20, data, n, 0x90 - (i == 1 ? 0x2D : 0), i == 1 ? 0x10 : 0,
                          rsp);
        cr_assert_eq(host_gp_unwrap(&s, rsp, rl, out, sizeof out, &on), 0, "response %zu", i);
        cr_assert_eq(on, n + 2, "response %zu", i);
        cr_assert_arr_eq(out, data, n);
    }
    cr_assert_eq(s.enc_counter, 5);
    /* A wrong R-MAC ends the session. */
    n = HEX(plain, "80CA006600");
    ref_wrap(&r, plain, n, want);
    cr_assert_eq(host_gp_wrap(&s, plain, n, out, sizeof out, &on), 0);
    rl = ref_response(&r, level & 0x20, data, 16, 0x90, 0x00, rsp);
    rsp[rl - 3] ^= 0x01;
    cr_assert_eq(host_gp_unwrap(&s, rsp, rl, out, sizeof out, &on), HOST_ERR_RMAC);
    cr_assert_eq(s.state, HOST_GP_FAILED);
    cr_assert_eq(host_gp_wrap(&s, plain, n, out, sizeof out, &on), HOST_ERR_STATE);
}

Test(host_scp03, chain_counter_and_rmac_level_13)
{
    chain_run(0x13);
}

Test(host_scp03, chain_counter_rmac_and_renc_level_33)
{
    chain_run(0x33);
}

Test(host_scp03, renc_bad_length_and_padding)
{
    const char *k40 = "404142434445464748494A4B4C4D4E4F";
    host_gp_keys k = keys3(k40, k40, k40, 0x30);
    host_gp_session s;
    ref_session r;
    uint8_t ea[32], ctx[16], plain[8], out[96], rsp[96], mac_in[64], mac[16], icv[16];
    size_t n, on;
    int round;

    for (round = 0; round < 3; round++) {
        cr_assert_eq(open_session(&s, &k, NULL, 0, "68E9C8799FF8CB46",
                                  "00000000000000000000 300360 F8D89D88BA1287BF 9B5C9D42D5059430",
                                  0x33, ea, &n),
                     0);
        confirm(&s);
        memset(&r, 0, sizeof r);
        HEX(ctx, "68E9C8799FF8CB46F8D89D88BA1287BF");
        ref_scp03_kdf(k.enc, 16, 0x04, ctx, 16, 128, r.senc);
        ref_scp03_kdf(k.mac, 16, 0x06, ctx, 16, 128, r.smac);
        ref_scp03_kdf(k.mac, 16, 0x07, ctx, 16, 128, r.srmac);
        {
            uint8_t mi[16 + 13] = {0};
            memcpy(mi + 16, ea, 13);
            ref_cmac(r.smac, 16, mi, sizeof mi, r.chain);
        }
        n = HEX(plain, "80CA006600");
        ref_wrap(&r, plain, n, out);
        cr_assert_eq(host_gp_wrap(&s, plain, n, out, sizeof out, &on), 0);
        if (round == 0) {
            /* 15 bytes of "ciphertext" with a valid R-MAC: not a whole block. */
            memset(rsp, 0x11, 15);
            n = 15;
        } else if (round == 1) {
            /* One block that decrypts to no 80 00.. padding. */
            memset(rsp, 0x11, 16);
            ref_icv(&r, 1, icv);
            ref_aes_cbc(r.senc, 16, 1, icv, rsp, rsp, 16);
            n = 16;
        } else {
            /* Too short to hold an R-MAC. */
            rsp[0] = 0x01;
            rsp[1] = 0x90;
            rsp[2] = 0x00;
            cr_assert_eq(host_gp_unwrap(&s, rsp, 3, out, sizeof out, &on), HOST_ERR_PROTO);
            continue;
        }
        memcpy(mac_in, r.chain, 16);
        memcpy(mac_in + 16, rsp, n);
        mac_in[16 + n] = 0x90;
        mac_in[17 + n] = 0x00;
        ref_cmac(r.srmac, 16, mac_in, 18 + n, mac);
        memcpy(rsp + n, mac, 8);
        rsp[n + 8] = 0x90;
        rsp[n + 9] = 0x00;
        cr_assert_eq(host_gp_unwrap(&s, rsp, n + 10, out, sizeof out, &on),
                     round == 0 ? HOST_ERR_PROTO : HOST_ERR_PADDING);
        cr_assert_eq(s.state, HOST_GP_FAILED);
    }
}

/* PUT KEY (GP CS 11.8, Amendment D 7.2): AES-CBC, zero ICV, static DEK, KCVs. */
Test(host_scp03, put_key_encrypts_under_static_dek)
{
    host_gp_keys k = keys3(KAOH_ENC, KAOH_MAC, KAOH_DEK, 0x00);
    host_gp_session s;
    uint8_t ea[32], newkeys[96], out[200], clear[32], ones[16], kcv[16];
    size_t n, i;

    cr_assert_eq(
        open_session(&s, &k, ISD, sizeof ISD, "B2BDE1A2DC66BD56",
                     "00000000000000000000 300370 C40932A6FEFEAEB2 E127185170F45FCA 000015", 0x03,
                     ea, &n),
        0);
    confirm(&s);
    for (i = 0; i < sizeof newkeys; i++)
        newkeys[i] = (uint8_t)(0xC0 ^ i);
    memset(ones, 0x01, sizeof ones);
    cr_assert_eq(host_gp_put_key_cmd(&s, 0x30, 0x31, 1, newkeys, 3, 16, out, sizeof out, &n), 0);
    assert_hex(out, 6, "80D8308146 31");
    cr_assert_eq(n, 5 + 1 + 3 * 23 + 1);
    for (i = 0; i < 3; i++) {
        const uint8_t *blk = out + 6 + 23 * i;
        assert_hex(blk, 3, "881110");
        ref_aes_cbc(k.dek, 16, 0, NULL, blk + 3, clear, 16);
        cr_assert_arr_eq(clear, newkeys + 16 * i, 16, "key %zu", i);
        cr_assert_eq(blk[19], 0x03);
        ref_aes_block(newkeys + 16 * i, 16, 1, ones, kcv);
        cr_assert_arr_eq(blk + 20, kcv, 3);
    }
    /* One AES-192 key: 24 bytes zero-padded to two blocks. */
    cr_assert_eq(host_gp_put_key_cmd(&s, 0x00, 0x32, 2, newkeys, 1, 24, out, sizeof out, &n), 0);
    assert_hex(out, 9, "80D8000228 32 882118");
    ref_aes_cbc(k.dek, 16, 0, NULL, out + 9, clear, 32);
    cr_assert_arr_eq(clear, newkeys, 24);
    for (i = 24; i < 32; i++)
        cr_assert_eq(clear[i], 0);
    cr_assert_eq(host_gp_put_key_cmd(&s, 0, 0x31, 1, newkeys, 1, 20, out, sizeof out, &n),
                 HOST_ERR_ARG);
}
