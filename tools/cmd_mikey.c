/* Placeholder while the mikey subcommand is written; replaced by its module. */
#include "cli.h"
#include <stdio.h>
int cmd_mikey(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mbmssec mikey: not built yet\n");
	return 1;
}
