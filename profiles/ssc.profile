# obol card profile "ssc": a social security and health card with a medical account,
# PIN 123456. Format: docs/profiles.md; the application, its rights and file layout:
# cardsim/applets/ssc/ssc.h. All keys are TEST keys (test-keys-apps); the cardholder
# is made up.
include test-keys-apps

card serial=0000000000000201 issuer=3100000000000000 journal=512

include ssc-app
# EF 0005 personal information (read with the PIN): name "ZHANG SAN" (30) sex 1
# ethnicity 1 birth 1980-01-01 citizen id (18, a made-up number) region 110101 RFU.
ef fid=0005 sfi=05 type=transparent read=pin1 write=never data=5A48414E472053414E000000000000000000000000000000000000000000_01_01_19800101_313130313031313938303031303130303158_313130313031_00000000
# EF 0006 insurance status: employee (01) active (01) region 110100, valid 2026-01-01
# to 2036-12-31, 80 % reimbursed (0x50), annual cap 100000 (0x000186A0), RFU.
ef fid=0006 sfi=06 type=transparent read=pin1 write=never data=01_01_110100_20260101_20361231_50_000186A0_0000
# EF 0015 public application data (PBOC layout; the PSAM needs the serial and issuer).
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_05_01_0000${serial}_20260101_20361231_0000
pin ref=1 value=123456 max=6 tries=3
