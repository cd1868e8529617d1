# obol profile fragment: the transit application (cardsim/applets/transit/transit.h)
# with its keys, for transit.profile, multiapp.profile and the card-type variants of
# tests/apps. Not a card by itself: the including profile has the card line, the TEST
# master keys (test-keys-apps) and, after this include, the application's EF 0015 and
# EF 0016, which carry the card type, discount and validity (layout in transit.h).
#
# AID A000000632010105 is the China T-Union (JT/T 978) transit application. Three
# operators (record identifiers 01 metro, 02 bus, 03 the neighbouring city's metro),
# 48-byte operator records in EF 001A, the purse's log EF 0018 with 10 records.
app class=transit aid=A000000632010105 fid=1002 operators=01_02_03 capp_reclen=48 max_balance=100000 mac_fail_limit=3 log_records=10
# Keys dispersed for this card from the transit operator's TEST masters:
#   purchase index 1 version 01: two levels, Div(Div(TEST-TRANSIT-MPK-01, issuer), serial)
#   load and TAC index 1 version 01: one level (serial)
key usage=purchase index=1 version=1 master=TEST-TRANSIT-MPK-01 disperse=issuer,serial
key usage=load index=1 version=1 master=TEST-TRANSIT-MLK-01 disperse=serial
key usage=tac index=1 version=1 master=TEST-TRANSIT-MTK-01 disperse=serial
