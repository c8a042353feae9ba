#include <stdio.h>
int
main(void)
{
	fprintf(stderr, "memberdeskd: not built yet\n");
	return 1;
}
