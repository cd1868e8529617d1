# obol termsim test profile: a transit card with a PPSE (2PAY.SYS.DDF01) listing two
# applications: A000000333010101 (priority 1, not on the card) and the purse (2).
include ../../termsim/profiles/transit-card.profile
df fid=3F10 name=325041592E5359532E4444463031 fci=BF0C1F_610E_4F09A00000000386980701_870102_610D_4F08A000000333010101_870101
