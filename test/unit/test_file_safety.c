// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for file_safety: the pure judge over every mode and the owners
// of each role, its messages (file, mode, owner, fix), and the walk along a
// real path.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_safety.h"
#include "test_util.h"

#define NOBODY 65534u
#define OTHER 1000u

/* Owners as vigild running as root, with or without script_user nobody. */
static struct file_owners root_only(void)
{
	return (struct file_owners){ .self = 0 };
}

static struct file_owners with_nobody(void)
{
	return (struct file_owners){ .self = 0, .has_user = true, .user = NOBODY,
				     .user_name = "nobody" };
}

static struct stat st_of(mode_t type, unsigned mode, unsigned uid)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = type | (mode_t)mode;
	st.st_uid = (uid_t)uid;
	return st;
}

static int judge(enum file_role role, mode_t type, unsigned mode, unsigned uid,
		 const struct file_owners *o, char *why, size_t len)
{
	struct stat st = st_of(type, mode, uid);

	why[0] = '\0';
	return file_safety_judge("/etc/vigil/f", &st, role, o, why, len);
}

/* ---- every mode: who may write, who may read ---- */

static void test_config_every_mode(void **state)
{
	struct file_owners o = root_only();
	char why[512];

	(void)state;
	for (unsigned m = 0; m <= 07777; m++) {
		int want = (m & (S_IWGRP | S_IWOTH)) ? -EPERM : 0;

		if (judge(FILE_ROLE_CONFIG, S_IFREG, m, 0, &o, why, sizeof(why)) != want)
			fail_msg("config mode %04o: expected %d (%s)", m, want, why);
	}
}

static void test_secrets_every_mode(void **state)
{
	struct file_owners o = root_only();
	char why[512];

	(void)state;
	for (unsigned m = 0; m <= 07777; m++) {
		int want = (m & (S_IRWXG | S_IRWXO)) ? -EPERM : 0;

		if (judge(FILE_ROLE_SECRETS, S_IFREG, m, 0, &o, why, sizeof(why)) != want)
			fail_msg("secrets mode %04o: expected %d (%s)", m, want, why);
	}
}

static void test_program_every_mode(void **state)
{
	struct file_owners o = root_only();
	char why[512];

	(void)state;
	for (unsigned m = 0; m <= 07777; m++) {
		int want = !(m & (S_IXUSR | S_IXGRP | S_IXOTH)) ? -EACCES
			   : (m & (S_IWGRP | S_IWOTH))           ? -EPERM
								 : 0;

		if (judge(FILE_ROLE_PROGRAM, S_IFREG, m, 0, &o, why, sizeof(why)) != want)
			fail_msg("program mode %04o: expected %d (%s)", m, want, why);
	}
}

static void test_dirs_every_mode(void **state)
{
	struct file_owners o = root_only();
	char why[512];

	(void)state;
	for (unsigned m = 0; m <= 07777; m++) {
		bool writable = m & (S_IWGRP | S_IWOTH), sticky = m & S_ISVTX;

		if (judge(FILE_ROLE_DIR, S_IFDIR, m, 0, &o, why, sizeof(why)) != (writable ? -EPERM : 0))
			fail_msg("own directory mode %04o (%s)", m, why);
		if (judge(FILE_ROLE_PATH_DIR, S_IFDIR, m, 0, &o, why, sizeof(why)) !=
		    (writable && !sticky ? -EPERM : 0))
			fail_msg("directory above, mode %04o (%s)", m, why);
	}
}

/* ---- owners ---- */

/* Which owners each role accepts: root always; script_user only for
 * programs and their directories; anyone else never. */
static void test_owners_by_role(void **state)
{
	struct file_owners none = root_only(), user = with_nobody();
	char why[512];
	const struct {
		enum file_role role;
		mode_t type;
		unsigned mode;
		bool user_may_own;
	} roles[] = {
		{ FILE_ROLE_CONFIG, S_IFREG, 0644, false },
		{ FILE_ROLE_SECRETS, S_IFREG, 0600, false },
		{ FILE_ROLE_PROGRAM, S_IFREG, 0755, true },
		{ FILE_ROLE_DIR, S_IFDIR, 0755, true },
		{ FILE_ROLE_PATH_DIR, S_IFDIR, 0755, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		enum file_role r = roles[i].role;
		mode_t t = roles[i].type;
		unsigned m = roles[i].mode;

		assert_int_equal(judge(r, t, m, 0, &none, why, sizeof(why)), 0);
		assert_int_equal(judge(r, t, m, 0, &user, why, sizeof(why)), 0);
		assert_int_equal(judge(r, t, m, NOBODY, &none, why, sizeof(why)), -EPERM);
		assert_int_equal(judge(r, t, m, NOBODY, &user, why, sizeof(why)),
				 roles[i].user_may_own ? 0 : -EPERM);
		assert_int_equal(judge(r, t, m, OTHER, &user, why, sizeof(why)), -EPERM);
	}
}

/* A vigild that is not root (a unit test) trusts its own files too, and
 * root's. */
static void test_self_not_root(void **state)
{
	struct file_owners o = { .self = OTHER };
	char why[512];

	(void)state;
	assert_int_equal(judge(FILE_ROLE_CONFIG, S_IFREG, 0644, OTHER, &o, why, sizeof(why)), 0);
	assert_int_equal(judge(FILE_ROLE_PROGRAM, S_IFREG, 0755, 0, &o, why, sizeof(why)), 0);
	assert_int_equal(judge(FILE_ROLE_PROGRAM, S_IFREG, 0755, NOBODY, &o, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "/etc/vigil/f is not owned by root or uid 1000 (vigild's user) "
				 "(owner uid 65534, mode 0755): run chown 1000 /etc/vigil/f");
}

/* ---- the messages: the file, its mode and owner, the fix ---- */

static void test_messages(void **state)
{
	struct file_owners none = root_only(), user = with_nobody();
	char why[512];

	(void)state;
	assert_int_equal(judge(FILE_ROLE_CONFIG, S_IFREG, 0664, 0, &none, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "/etc/vigil/f is writable by group or others (mode 0664, owner uid 0): "
				 "run chmod go-w /etc/vigil/f");
	assert_int_equal(judge(FILE_ROLE_CONFIG, S_IFREG, 0644, NOBODY, &user, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "/etc/vigil/f is not owned by root (owner uid 65534, mode 0644): "
				 "run chown root /etc/vigil/f");
	assert_int_equal(judge(FILE_ROLE_SECRETS, S_IFREG, 0644, 0, &none, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "/etc/vigil/f is accessible by group or others (mode 0644, owner uid 0) "
				 "and holds a password: run chmod 600 /etc/vigil/f");
	assert_int_equal(judge(FILE_ROLE_SECRETS, S_IFREG, 0600, 106, &none, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "/etc/vigil/f is not owned by root (owner uid 106, mode 0600); vigild "
				 "reads it without CAP_DAC_OVERRIDE and can read only its own files: "
				 "run chown root /etc/vigil/f");
	assert_int_equal(judge(FILE_ROLE_PROGRAM, S_IFREG, 0757, 0, &none, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "/etc/vigil/f is writable by group or others (mode 0757, owner uid 0): "
				 "run chmod go-w /etc/vigil/f");
	assert_int_equal(judge(FILE_ROLE_PROGRAM, S_IFREG, 0755, OTHER, &user, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "/etc/vigil/f is not owned by root or script_user nobody (owner uid 1000, "
				 "mode 0755): run chown root /etc/vigil/f");
	assert_int_equal(judge(FILE_ROLE_PROGRAM, S_IFREG, 0644, 0, &none, why, sizeof(why)), -EACCES);
	assert_string_equal(why, "/etc/vigil/f is not executable (mode 0644)");
	assert_int_equal(judge(FILE_ROLE_PROGRAM, S_IFDIR, 0755, 0, &none, why, sizeof(why)), -EACCES);
	assert_string_equal(why, "/etc/vigil/f is not a regular file");
	assert_int_equal(judge(FILE_ROLE_DIR, S_IFDIR, 0775, 0, &none, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "directory /etc/vigil/f is writable by group or others (mode 0775, "
				 "owner uid 0): run chmod go-w /etc/vigil/f");
	/* A shared sticky directory is not the program's place: move the
	 * program rather than chmod /tmp. */
	assert_int_equal(judge(FILE_ROLE_DIR, S_IFDIR, 01777, 0, &user, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "directory /etc/vigil/f is writable by group or others (mode 1777, "
				 "owner uid 0): keep the program in a directory only root or "
				 "script_user nobody can write");
	assert_int_equal(judge(FILE_ROLE_PATH_DIR, S_IFREG, 0755, 0, &none, why, sizeof(why)), -ENOTDIR);
	assert_string_equal(why, "/etc/vigil/f is not a directory");
}

/* ---- on the file system ---- */

static void test_check_walks_the_path(void **state)
{
	struct tu_dir d;
	char sub[128], prog[160], why[512], want[512];
	struct file_owners o = file_owners_of(NULL, 0);

	(void)state;
	assert_int_equal(tu_dir_make(&d, "file-safety"), 0);
	snprintf(sub, sizeof(sub), "%s/bin", d.path);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(prog, sizeof(prog), "%s/p.sh", sub);
	tu_dir_script(&d, "bin/p.sh", "exit 0", 0755);
	assert_int_equal(file_safety_check(prog, FILE_ROLE_PROGRAM, &o, why, sizeof(why)), 0);
	/* Its directory writable by others: refused, naming the directory. */
	assert_int_equal(chmod(sub, 0777), 0);
	assert_int_equal(file_safety_check(prog, FILE_ROLE_PROGRAM, &o, why, sizeof(why)), -EPERM);
	snprintf(want, sizeof(want), "directory %s is writable by group or others (mode 0777, owner "
		 "uid %u): run chmod go-w %s", sub, (unsigned)geteuid(), sub);
	assert_string_equal(why, want);
	assert_int_equal(chmod(sub, 0755), 0);
	/* The configuration and the credentials: the file only. */
	assert_int_equal(file_safety_check(prog, FILE_ROLE_CONFIG, &o, why, sizeof(why)), 0);
	assert_int_equal(file_safety_check(prog, FILE_ROLE_SECRETS, &o, why, sizeof(why)), -EPERM);
	assert_int_equal(chmod(prog, 0600), 0);
	assert_int_equal(file_safety_check(prog, FILE_ROLE_SECRETS, &o, why, sizeof(why)), 0);
	/* Missing, relative. */
	assert_int_equal(file_safety_check(tu_dir_path(&d, "nothere"), FILE_ROLE_CONFIG, &o, why,
					   sizeof(why)), -ENOENT);
	assert_int_equal(file_safety_check("bin/p.sh", FILE_ROLE_PROGRAM, &o, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "program must be an absolute path: \"bin/p.sh\"");
	assert_int_equal(tu_dir_remove(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_every_mode),
		cmocka_unit_test(test_secrets_every_mode),
		cmocka_unit_test(test_program_every_mode),
		cmocka_unit_test(test_dirs_every_mode),
		cmocka_unit_test(test_owners_by_role),
		cmocka_unit_test(test_self_not_root),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_check_walks_the_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
