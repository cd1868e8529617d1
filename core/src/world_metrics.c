/*
 * obol core: the names of the metrics a world measures (sim_world.h), with units and
 * a sentence each. Scenario checks name these; `obol list --metrics` prints them.
 * Names are stable like requirement ids: add, never rename.
 */
#include <string.h>

#include "obol/sim_world.h"

const sim_metric_info sim_world_metrics[] = {
    {"tap_ms.p50", "ms",
     "median card transaction time at a terminal (activation to last response)"},
    {"tap_ms.p99", "ms", "99th percentile of the card transaction time"},
    {"tap_ms.max", "ms", "slowest card transaction"},
    {"taps", "taps", "card transactions attempted at terminals"},
    {"taps.approved", "taps", "transactions approved"},
    {"taps.offline_approved", "taps", "transactions approved while the host was unreachable"},
    {"gate.capacity_per_min", "riders/min",
     "what one gate can pass: 60 s over the mean time a rider occupies it"},
    {"gate.busiest_min", "riders", "riders through the busiest gate in its busiest minute"},
    {"queue.max", "riders", "longest queue at any terminal"},
    {"wait_s.p99", "s", "99th percentile of the time from joining a queue to passing"},
    {"trips.open", "trips", "riders still inside the network when the scenario ends"},
    {"fares.unsettled", "txns", "approved transactions the host has not settled at the end"},
    {"fares.settled", "txns", "transactions the host settled"},
    {"settle.bad_tac", "txns", "uploaded records whose TAC did not verify at the host"},
    {"settle.duplicates", "txns", "(card, counter) pairs the host settled more than once"},
    {"money.mismatch_cards", "cards",
     "cards whose balance plus settled amounts differs from their initial balance"},
    {"money.discrepancy", "fen", "sum over cards of |initial - balance - settled|"},
    {"money.host_card_mismatch", "cards",
     "cards whose balance differs from what the platform's reconciliation implies"},
    {"replay.attempts", "attempts", "replay attempts made by the attacker"},
    {"replay.accepted", "attempts", "replay attempts accepted by a card, terminal or the host"},
    {"replay.undetected", "attempts", "replay attempts neither refused nor flagged"},
    {"replay.card_accepted", "attempts",
     "recorded DEBIT FOR PURCHASE commands a card accepted again"},
    {"replay.terminal_accepted", "attempts", "recorded card responses a terminal accepted again"},
    {"replay.host_accepted", "attempts", "recorded transaction records the host settled again"},
    {"bl.exposure_taps", "taps", "largest number of taps accepted on a lost card after its report"},
    {"bl.exposure_amount", "fen", "largest amount taken from a lost card after its report"},
    {"bl.block_lag_s", "s", "longest time from a loss report to the first refusal at a terminal"},
    {"bl.lag_over_interval", "ratio",
     "largest block lag divided by the distribution interval of its terminals"},
    {"bl.never_blocked", "cards", "lost cards still accepted at the end"},
    {"ota.targeted", "cards", "cards in the OTA campaign"},
    {"ota.updated", "cards", "campaign cards holding the new application at the end"},
    {"ota.coverage", "ratio", "updated over targeted cards that tapped during the campaign"},
    {"ota.twice", "cards", "cards that received the application more than once"},
    {"ota.corrupted", "cards",
     "cards that do not power on, hold a half-installed application, or lost their purse"},
    {"ota.torn", "updates", "updates torn by card removal"},
    {"tear.torn", "taps", "transactions torn by early card removal"},
    {"tear.inconsistent", "cards",
     "torn cards whose purse does not match one of the two consistent states"},
    {"tear.recovered", "txns", "torn purchases recovered with GET TRANSACTION PROVE"},
    {"host.lost_records", "txns", "records made during a host outage and never settled"},
    {"host.max_backlog", "txns", "most records waiting for upload across all terminals"},
    {"events", "events", "events the kernel fired"},
    {NULL, NULL, NULL},
};

int sim_world_metric_known(const char *name)
{
    for (const sim_metric_info *m = sim_world_metrics; m->name != NULL; m++)
        if (strcmp(m->name, name) == 0)
            return 1;
    return 0;
}
