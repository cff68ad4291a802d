// SPDX-License-Identifier: GPL-2.0-or-later
// vigilctl: the operator's command-line client for a running vigild.
//
// The status socket it talks to comes with the operate work; until then
// this program only explains itself, and says plainly that no command is
// available yet rather than pretending to query a daemon.
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vigilctl [-s SOCKET] status [--json]\n"
		"\n"
		"Query a running vigild through its control socket\n"
		"(default /run/vigil/vigil.sock, [global] control_socket).\n"
		"\n"
		"  status         each instance (state, base and effective priority,\n"
		"                 current master, VIPs held) and each check\n"
		"  -s SOCKET      control socket path\n"
		"  -h, --help     this text\n"
		"\n"
		"This build of vigild has no control socket yet: no command can be\n"
		"served. Watch vigild's log (stderr or syslog) for state changes.\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
