/*
 * obol card OS: APPLICATION BLOCK, APPLICATION UNBLOCK and CARD BLOCK.
 *
 * These are the EMV/PBOC issuer commands (EMV Book 3, 6.5.1/6.5.2/6.5.3; JR/T 0025
 * part 5): CLA 84 (or 04), always with a 4-byte line-protection MAC after a GET
 * CHALLENGE, under the application maintenance key (usage COS_KEY_APP_MAINT) found
 * from the current DF upwards.
 *
 *   84 1E 00 P2 04 MAC  APPLICATION BLOCK: P2 00 temporary (ADF LCS 04, SELECT then
 *                       answers 6283 and the application accepts only SELECT, GET
 *                       CHALLENGE, READ BINARY/RECORD and APPLICATION UNBLOCK, others
 *                       6985), P2 01 permanent (LCS 0C, SELECT answers 6A81).
 *   84 18 00 00 04 MAC  APPLICATION UNBLOCK (6985 when permanently blocked).
 *   84 16 00 00 04 MAC  CARD BLOCK: card LCS 0C in the NVM header and the ATR; every
 *                       later command answers 6A81.
 * The "application" is the nearest DF with a name (an ADF, or a named DF such as
 * PBOC's 1PAY.SYS.DDF01 children) containing the current DF.
 */
#include "cos_internal.h"

/* The nearest named DF at or above DF (0 when none). */
static int app_df(cos_card *c, cos_oid df, cos__df *out)
{
    for (int depth = 0; df && depth < 16; depth++) {
        int rc = cos__df_load(c, df, out);
        if (rc < 0)
            return rc;
        if (out->namelen || out->o.type == COS__T_ADF)
            return 1;
        df = out->o.parent;
    }
    return 0;
}

int cos__app_lcs(cos_card *c, uint8_t ch, uint8_t *lcs)
{
    cos__df d;
    int rc = app_df(c, c->ch[ch].df, &d);
    *lcs = rc == 1 ? d.o.lcs : COS_LCS_ACTIVE;
    return rc < 0 ? rc : 0;
}

int cos__cmd_block(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    cos__df d;
    cos_key k;
    int rc;

    (void)r;
    if (a->ins == 0x1E ? (a->p1 != 0 || a->p2 > 1) : (a->p1 || a->p2))
        return COS_SW_WRONG_P1P2;
    if (a->ne || a->nc != 4)
        return COS_SW_WRONG_LENGTH;
    if (a->sm != 1)
        return COS_SW_SECURITY;
    rc = app_df(c, c->ch[a->chan].df, &d);
    if (rc < 0)
        return rc;
    if (rc == 0 && a->ins != 0x16)
        return COS_SW_CONDITIONS;
    rc = cos__fs_find_key(c, c->ch[a->chan].df, COS_KEY_APP_MAINT, 0, &k);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    rc = cos__sm_verify(c, a, &k);
    if (rc != (int)COS_SW_OK)
        return rc;
    if (a->ins == 0x16) {
        uint8_t v = COS_LCS_TERMINATED;
        rc = cos__nvm_write_raw(c, COS__HDR_STATE, &v, 1);
        if (rc == 0)
            c->card_state = v;
    } else if (a->ins == 0x1E) {
        if (d.o.lcs == COS_LCS_TERMINATED)
            return COS_SW_OK;
        rc = cos__obj_set_lcs(c, &d.o, a->p2 ? COS_LCS_TERMINATED : COS_LCS_DEACTIVATED);
    } else {
        if (d.o.lcs == COS_LCS_TERMINATED)
            return COS_SW_CONDITIONS;
        rc = cos__obj_set_lcs(c, &d.o, COS_LCS_ACTIVE);
    }
    return rc < 0 ? rc : COS_SW_OK;
}
