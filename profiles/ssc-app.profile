# obol profile fragment: the social security and health application
# (cardsim/applets/ssc/ssc.h) with its keys, for ssc.profile and multiapp.profile. Not a
# card by itself: the including profile has the card line and the TEST master keys
# (test-keys-apps) and, after this include, the cardholder's files and PIN.
#
# AID F06F626F6C53534301 is obol's own (unregistered, F0 prefix). 10 visit records,
# 10 prescriptions; a settlement needs the role and the cardholder's PIN.
app class=ssc aid=F06F626F6C53534301 fid=1003 visit_records=10 rx_records=10 debit_pin=1 max_balance=1000000 mac_fail_limit=3 log_records=10
# Role keys (EXTERNAL AUTHENTICATE): 1 hospital, 2 pharmacy; 5 tries each.
key usage=ssc_role index=1 version=1 master=TEST-SSC-HOSP-ROLE-01 disperse=serial tries=5
key usage=ssc_role index=2 version=1 master=TEST-SSC-PHARM-ROLE-01 disperse=serial tries=5
# The medical account: purchase index 1 (hospitals) version 01, index 2 (pharmacies)
# version 02, TAC keys of both indexes, the fund's load key; one-level dispersion.
key usage=purchase index=1 version=1 master=TEST-SSC-HOSP-MPK-01 disperse=serial
key usage=purchase index=2 version=2 master=TEST-SSC-PHARM-MPK-02 disperse=serial
key usage=tac index=1 version=1 master=TEST-SSC-MTK-01 disperse=serial
key usage=tac index=2 version=2 master=TEST-SSC-MTK-01 disperse=serial
key usage=load index=1 version=1 master=TEST-SSC-MLK-01 disperse=serial
