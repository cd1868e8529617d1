# obol TEST master keys, shared by the card profiles and the PSAM profile.
#
# TEST KEYS ONLY. They are published in this repository and protect nothing: never
# personalize a real card or a real PSAM with them. The loader refuses any master key
# whose name does not start with TEST-.
#
# TEST-MPK-01 is the dispersion example key of PROTOCOLS.md (0123..3210).

masterkey TEST-MPK-01 0123456789ABCDEF_FEDCBA9876543210   # TEST KEY: purchase, version 01, two levels
masterkey TEST-MPK-02 1111111111111111_2222222222222222   # TEST KEY: purchase, version 02, one level
masterkey TEST-MLK-01 3333333333333333_4444444444444444   # TEST KEY: load, version 01
masterkey TEST-MTK-01 5555555555555555_6666666666666666   # TEST KEY: TAC, versions 01 and 02
