# obol TEST master keys of the industry applications: the transit operator's and the
# social insurance agency's, for profiles transit, ssc and multiapp and the test PSAMs
# of tests/apps. (The PBOC purse's are in test-keys.profile.)
#
# TEST KEYS ONLY. They are published in this repository and protect nothing: never
# personalize a real card or a real PSAM with them. The loader refuses any master key
# whose name does not start with TEST-.

# Transit operator (cardsim/applets/transit): purchase keys are dispersed in two levels
# (city/issuer code, then card serial) as city cards do; load and TAC keys in one.
masterkey TEST-TRANSIT-MPK-01 A1A2A3A4A5A6A7A8_B1B2B3B4B5B6B7B8   # TEST KEY: transit purchase, version 01
masterkey TEST-TRANSIT-MLK-01 A2A3A4A5A6A7A8A9_B2B3B4B5B6B7B8B9   # TEST KEY: transit load, version 01
masterkey TEST-TRANSIT-MTK-01 A3A4A5A6A7A8A9AA_B3B4B5B6B7B8B9BA   # TEST KEY: transit TAC, version 01

# Social insurance agency (cardsim/applets/ssc): one purchase master per role (the
# hospitals' PSAMs hold HOSP, the pharmacies' PHARM), the fund's load key, the TAC key
# of both indexes, and the role keys for EXTERNAL AUTHENTICATE.
masterkey TEST-SSC-HOSP-MPK-01   C1C2C3C4C5C6C7C8_D1D2D3D4D5D6D7D8 # TEST KEY: hospital settlement, version 01
masterkey TEST-SSC-PHARM-MPK-02  C2C3C4C5C6C7C8C9_D2D3D4D5D6D7D8D9 # TEST KEY: pharmacy settlement, version 02
masterkey TEST-SSC-MLK-01        C3C4C5C6C7C8C9CA_D3D4D5D6D7D8D9DA # TEST KEY: fund load, version 01
masterkey TEST-SSC-MTK-01        C4C5C6C7C8C9CACB_D4D5D6D7D8D9DADB # TEST KEY: TAC, versions 01 and 02
masterkey TEST-SSC-HOSP-ROLE-01  C5C6C7C8C9CACBCC_D5D6D7D8D9DADBDC # TEST KEY: hospital role (EXTERNAL AUTHENTICATE)
masterkey TEST-SSC-PHARM-ROLE-01 C6C7C8C9CACBCCCD_D6D7D8D9DADBDCDD # TEST KEY: pharmacy role (EXTERNAL AUTHENTICATE)
