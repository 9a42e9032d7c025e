/* Placeholder while the milenage subcommand is written; replaced by its module. */
#include "cli.h"
#include <stdio.h>
int cmd_milenage(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mbmssec milenage: not built yet\n");
	return 1;
}
