#include <stdio.h>
int
main(void)
{
	fprintf(stderr, "memberdesk: not built yet\n");
	return 1;
}
