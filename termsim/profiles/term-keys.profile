# obol TEST key of the terminal kernel's cards, beside profiles/test-keys.profile.
#
# TEST KEY ONLY: published in this repository, protecting nothing. The application
# maintenance master key: a card's APPLICATION BLOCK / UNBLOCK MAC key is
# Div(TEST-MMK-01, card serial); a terminal's security module (or the issuer's HSM)
# computes the MAC for a blacklisted card (docs/terminal.md, "Blacklist").
masterkey TEST-MMK-01 7777777777777777_8888888888888888   # TEST KEY: application maintenance
