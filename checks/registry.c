// SPDX-License-Identifier: GPL-2.0-or-later
// The table of checker types, looked up by the name a [check] section gives.
#include "check.h"

#include <string.h>

#include "mysql_ping.h"
#include "mysql_replication.h"
#include "script.h"
#include "tcp.h"

/* Every checker type vigil knows. A new type adds its header above and one
 * line here; nothing else in the scheduler changes. */
static const struct check_type *const check_types[] = {
	&check_tcp_type,
	&check_script_type,
	&mysql_ping_type,
	&mysql_replication_type,
};

const struct check_type *check_type_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(check_types) / sizeof(check_types[0]); i++) {
		if (strcmp(check_types[i]->name, name) == 0)
			return check_types[i];
	}
	return NULL;
}
