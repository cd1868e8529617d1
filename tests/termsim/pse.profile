# obol termsim test profile: a transit card with a contact PSE (1PAY.SYS.DDF01) whose
# directory file (SFI 1) lists the purse.
include ../../termsim/profiles/transit-card.profile
df fid=3F11 name=315041592E5359532E4444463031 fci=880101
ef fid=0001 sfi=01 type=linear reclen=18 nrec=1 records=7010_610E_4F09A00000000386980701_870101
