# obol card profile "transit-student": transit-card with card type 1 (student).
include ../../profiles/purse.profile
include term-keys
ef fid=0016 sfi=16 type=transparent read=always write=never data=01_00
key usage=app_maint version=1 master=TEST-MMK-01 disperse=serial
