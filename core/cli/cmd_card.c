/* `obol card ...`: placeholder until the card OS lands (issue 3). */
#include "cli.h"

int obol_cmd_card(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return obol_usage_error("card: not built yet");
}
