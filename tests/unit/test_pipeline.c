/* Pipeline files: parsing, errors with file:line, stage wiring, the state that skips done stages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "win2cloud/pipeline.h"
#include "common/util.h"

#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static w2c_pipeline *parse_ok(const char *y)
{
	w2c_pipeline *p = NULL;
	w2c_error err = { 0 };
	if (w2c_pipeline_parse(y, strlen(y), "p.yaml", &p, &err))
		fail_msg("parse failed: %s", err.message);
	return p;
}

static void parse_fails(const char *y, const char *expect)
{
	w2c_pipeline *p = NULL;
	w2c_error err = { 0 };
	assert_int_equal(w2c_pipeline_parse(y, strlen(y), "p.yaml", &p, &err), W2C_ERR_INVALID_INPUT);
	assert_null(p);
	if (!strstr(err.message, expect))
		fail_msg("message '%s' lacks '%s'", err.message, expect);
}

/* The command line of every stage, joined with spaces, one stage per line. */
static char *plan(const w2c_pipeline *p)
{
	static char buf[4096];
	w2c_pipeline_cursor cur = { 0 };
	w2c_error err;
	buf[0] = 0;
	for (size_t i = 0; i < p->n_stages; i++) {
		w2c_pipeline_step st;
		if (w2c_pipeline_step_make(p, i, &cur, &st, &err))
			fail_msg("stage %zu: %s", i, err.message);
		for (size_t k = 0; k < st.argc; k++)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", k ? " " : "", st.argv[k]);
		strcat(buf, "\n");
		w2c_pipeline_step_clear(&st);
	}
	w2c_pipeline_cursor_clear(&cur);
	return buf;
}

static void test_parse_and_wire(void **s)
{
	(void)s;
	w2c_pipeline *p = parse_ok(
		"source: isos/win.iso\n"
		"stages:\n"
		"  - inspect:\n"
		"  - inject: { drivers: [a.iso, b], rdp: true, deep: false, unattend: generate }\n"
		"  - verify: { against: \"${source}\" }\n"
		"  - upload: { to: \"obs://bkt/${workdir}.iso\", region: eu-de }\n"
		"  - register: { cloud: otc, name: w1, wait: yes }\n");
	assert_string_equal(p->workdir, "win2cloud-out");
	assert_int_equal(p->n_stages, 5);
	assert_int_equal(p->stages[1].line, 4);
	assert_string_equal(plan(p),
		"inspect -- isos/win.iso\n"
		"inject --output=win2cloud-out/win-inject.iso --drivers=a.iso --drivers=b --rdp --unattend=generate -- isos/win.iso\n"
		"verify --against=isos/win.iso -- win2cloud-out/win-inject.iso\n"
		"upload --region=eu-de -- win2cloud-out/win-inject.iso obs://bkt/win2cloud-out.iso\n"
		"register --iso=obs://bkt/win2cloud-out.iso --cloud=otc --name=w1 --wait\n");
	w2c_pipeline_free(p);
}

static void test_wire_glance_and_output(void **s)
{
	(void)s;
	w2c_pipeline *p = parse_ok(
		"source: win.iso\nworkdir: /tmp/w\n"
		"stages:\n"
		"  - build: { output: \"${workdir}/b.iso\", remove: /sources/ei.cfg }\n"
		"  - check:\n"
		"  - register: { cloud: openstack, name: w }\n");
	assert_string_equal(plan(p),
		"build --output=/tmp/w/b.iso --remove=/sources/ei.cfg -- win.iso\n"
		"check -- /tmp/w/b.iso\n"
		"register --iso=/tmp/w/b.iso --cloud=openstack --name=w\n");
	w2c_pipeline_free(p);
}

/* install makes the disk the current file: check and upload take it, register uses --disk. */
static void test_wire_install(void **s)
{
	(void)s;
	w2c_pipeline *p = parse_ok(
		"source: isos/win.iso\nworkdir: w\n"
		"stages:\n"
		"  - inject: { drivers: d, unattend: generate, shutdown: true }\n"
		"  - install: { size: 60G, format: vpc, timeout: 3h }\n"
		"  - check: { deep: true }\n"
		"  - upload: { to: \"obs://bkt/win.vhd\" }\n"
		"  - register: { cloud: otc, name: w1 }\n"
		"  - register: { cloud: openstack, name: w2 }\n");
	assert_string_equal(plan(p),
		"inject --output=w/win-inject.iso --drivers=d --unattend=generate --shutdown -- isos/win.iso\n"
		"install --output=w/win-install.vhd --size=60G --format=vpc --timeout=3h -- w/win-inject.iso\n"
		"check --deep -- w/win-install.vhd\n"
		"upload -- w/win-install.vhd obs://bkt/win.vhd\n"
		"register --disk=obs://bkt/win.vhd --cloud=otc --name=w1\n"
		"register --disk=w/win-install.vhd --cloud=openstack --name=w2\n");
	w2c_pipeline_free(p);
	p = parse_ok("source: a.iso\nstages:\n  - install: { output: \"${workdir}/sys.qcow2\" }\n"
		     "  - register: { cloud: openstack, name: w }\n");
	assert_string_equal(plan(p),
		"install --output=win2cloud-out/sys.qcow2 -- a.iso\n"
		"register --disk=win2cloud-out/sys.qcow2 --cloud=openstack --name=w\n");
	w2c_pipeline_free(p);
}

static void test_register_takes_sidecar_sha256(void **s)
{
	(void)s;
	char dir[] = "/tmp/w2c-pipe-XXXXXX", y[512], f[128];
	const char *hex = "64313b5fc3410ac79506c94b6e8d2166ef499800e396cd98d87004e10b34eec4";
	assert_non_null(mkdtemp(dir));
	snprintf(y, sizeof y, "source: s.iso\nworkdir: %s\nstages:\n  - inject: { drivers: d }\n"
		 "  - upload: { to: \"obs://b/k.iso\" }\n  - register: { cloud: otc, name: n }\n", dir);
	w2c_pipeline *p = parse_ok(y);
	snprintf(f, sizeof f, "%s/s-inject.iso.sha256", dir);
	FILE *o = fopen(f, "w");
	assert_non_null(o);
	fprintf(o, "%s  s-inject.iso\n", hex);
	fclose(o);
	assert_non_null(strstr(plan(p), "register --iso=obs://b/k.iso --sha256=64313b5fc3410ac79506c94b6e8d2166ef499800e396cd98d87004e10b34eec4 --cloud=otc"));
	/* a .sha256 naming another file is not taken */
	o = fopen(f, "w");
	assert_non_null(o);
	fprintf(o, "%s  other.iso\n", hex);
	fclose(o);
	assert_null(strstr(plan(p), "--sha256"));
	unlink(f);
	rmdir(dir);
	w2c_pipeline_free(p);
}

static void touch(const char *path, const char *text);

/* Values that start with '-' stay values: options as --key=value, positionals after "--". */
static void test_dash_values_are_not_options(void **s)
{
	(void)s;
	w2c_pipeline *p = parse_ok("source: \"--help\"\nworkdir: /tmp/w\nstages:\n"
				   "  - inspect:\n  - build: { volume-id: \"-x\", output: \"-o.iso\" }\n");
	assert_string_equal(plan(p), "inspect -- --help\n"
				     "build --output=-o.iso --volume-id=-x -- --help\n");
	w2c_pipeline_cursor cur = { 0 };
	w2c_pipeline_step st;
	w2c_error err;
	assert_int_equal(w2c_pipeline_step_make(p, 1, &cur, &st, &err), W2C_OK);
	assert_int_equal(st.n_options, 3);
	/* the validating command line: --help after the last option, before "--" */
	char **cv = w2c_pipeline_step_check_argv(&st);
	assert_string_equal(cv[3], "--help");
	assert_string_equal(cv[4], "--");
	assert_string_equal(cv[5], "--help");
	assert_null(cv[6]);
	free(cv);
	w2c_pipeline_step_clear(&st);
	w2c_pipeline_cursor_clear(&cur);
	w2c_pipeline_free(p);
}

/* A changed secret (the variable's value, the file's content) makes the stage not done;
 * the state file holds neither the secret nor its plain hash. */
static void test_state_secrets(void **s)
{
	(void)s;
	char dir[] = "/tmp/w2c-pipe-XXXXXX", pwf[96], sf[96], kf[96], pwarg[128];
	w2c_pipeline_state *st;
	w2c_pipeline_step step = { 0 };
	w2c_error err;
	struct stat sb;
	assert_non_null(mkdtemp(dir));
	snprintf(pwf, sizeof pwf, "%s/pw", dir);
	snprintf(sf, sizeof sf, "%s/.win2cloud-run.json", dir);
	snprintf(kf, sizeof kf, "%s/.win2cloud-run.key", dir);
	snprintf(pwarg, sizeof pwarg, "--admin-password-file=%s", pwf);
	touch(pwf, "Old-Secret!23\n");
	char *argv[] = { "inject", "--admin-password-env=W2C_UNIT_PW", pwarg, NULL };
	step.argv = argv;
	step.argc = 3;
	step.n_options = 3;
	setenv("W2C_UNIT_PW", "Env-Secret!1", 1);

	assert_int_equal(w2c_pipeline_state_load(dir, &st, &err), W2C_OK);
	assert_int_equal(w2c_pipeline_state_record(st, 0, &step, &err), W2C_OK);
	assert_true(w2c_pipeline_state_done(st, 0, &step));
	assert_int_equal(stat(kf, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 32);
	char *text;
	size_t len;
	assert_int_equal(w2c_read_file(sf, 1 << 20, &text, &len, &err), W2C_OK);
	assert_non_null(strstr(text, "secrets_hmac"));
	assert_null(strstr(text, "Env-Secret"));
	assert_null(strstr(text, "Old-Secret"));
	free(text);

	setenv("W2C_UNIT_PW", "Env-Secret!2", 1);
	assert_false(w2c_pipeline_state_done(st, 0, &step));
	setenv("W2C_UNIT_PW", "Env-Secret!1", 1);
	assert_true(w2c_pipeline_state_done(st, 0, &step));
	/* same size, same mtime, other content: still seen */
	assert_int_equal(stat(pwf, &sb), 0);
	touch(pwf, "New-Secret!23\n");
	struct timespec ts[2] = { sb.st_atim, sb.st_mtim };
	assert_int_equal(utimensat(AT_FDCWD, pwf, ts, 0), 0);
	assert_false(w2c_pipeline_state_done(st, 0, &step));
	/* without the key nothing recorded matches */
	touch(pwf, "Old-Secret!23\n");
	assert_int_equal(utimensat(AT_FDCWD, pwf, ts, 0), 0);
	assert_true(w2c_pipeline_state_done(st, 0, &step));
	unlink(kf);
	assert_false(w2c_pipeline_state_done(st, 0, &step));
	w2c_pipeline_state_free(st);
	unsetenv("W2C_UNIT_PW");
	unlink(sf);
	unlink(pwf);
	assert_int_equal(rmdir(dir), 0);
}

static void test_wire_errors(void **s)
{
	(void)s;
	w2c_pipeline_cursor cur = { 0 };
	w2c_pipeline_step st;
	w2c_error err;
	w2c_pipeline *p = parse_ok("source: w.iso\nstages:\n  - check: { limits: \"${url}\" }\n"
				   "  - upload: { region: x }\n  - register: { cloud: otc, name: n }\n");
	assert_int_equal(w2c_pipeline_step_make(p, 0, &cur, &st, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "${url}"));
	assert_int_equal(w2c_pipeline_step_make(p, 1, &cur, &st, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "p.yaml:4: upload: missing 'to'"));
	assert_int_equal(w2c_pipeline_step_make(p, 2, &cur, &st, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "p.yaml:5: register: no upload stage"));
	w2c_pipeline_cursor_clear(&cur);
	w2c_pipeline_free(p);
}

static void test_parse_errors(void **s)
{
	(void)s;
	parse_fails("source: a\nstages: [ {check: {}}\n", "p.yaml:");
	parse_fails("source: a.iso\nstage:\n  - check:\n", "p.yaml:2: stage: unknown key");
	parse_fails("stages:\n  - check:\n", "source: missing");
	parse_fails("source: a.iso\nstages: []\n", "stages: expected at least one stage");
	parse_fails("source: a.iso\nstages:\n  - format: {}\n", "p.yaml:3: stages[0]: expected a verb");
	parse_fails("source: a.iso\nstages:\n  - check: {}\n    upload: {}\n", "one VERB");
	parse_fails("source: a.iso\nstages:\n  - check:\n      Min_Disk: 3\n", "p.yaml:4: stages[0].check.Min_Disk");
	parse_fails("source: a.iso\nstages:\n  - check: { limits: { a: 1 } }\n", "expected a string");
	parse_fails("source: a.iso\nstages:\n  - check: { x: [ [1] ] }\n", "list of strings");
	parse_fails("source: a.iso\nstages:\n  - upload:\n      secret-key: abc\n", "p.yaml:4: stages[0].upload.secret-key: secrets");
	parse_fails("source: a.iso\nstages:\n  - check: { admin-password: x }\n", "secrets do not belong");
	parse_fails("source: a.iso\nstages:\n  - check:\nstages:\n  - check:\n", "p.yaml:4: stages: given twice");
	parse_fails("source: a.iso\nsource: b.iso\nstages:\n  - check:\n", "p.yaml:2: source: given twice");
	parse_fails("source: a.iso\nstages:\n  - check: { profile: otc, profile: x }\n", "given twice in this stage");
	/* a path to a secret is fine */
	w2c_pipeline *p = parse_ok("source: a.iso\nstages:\n  - check: { admin-password-file: pw, disk: d }\n");
	w2c_pipeline_free(p);
}

static void touch(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_state(void **s)
{
	(void)s;
	char dir[] = "/tmp/w2c-pipe-XXXXXX", src[64], out[64], drv[64], drvf[80];
	w2c_pipeline_state *st;
	w2c_pipeline_step step = { 0 };
	w2c_error err;
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof src, "%s/src.iso", dir);
	snprintf(out, sizeof out, "%s/out.iso", dir);
	snprintf(drv, sizeof drv, "%s/drv", dir);
	snprintf(drvf, sizeof drvf, "%s/drv/a.inf", dir);
	touch(src, "source");
	touch(out, "output");
	assert_int_equal(mkdir(drv, 0755), 0);
	touch(drvf, "inf");
	char *argv[] = { "inject", src, "-o", out, "--drivers", drv, "--profile", "otc", NULL };
	step.argv = argv;
	step.argc = 8;
	step.output = out;

	assert_int_equal(w2c_pipeline_state_load(dir, &st, &err), W2C_OK);
	assert_false(w2c_pipeline_state_done(st, 0, &step));
	assert_int_equal(w2c_pipeline_state_record(st, 0, &step, &err), W2C_OK);
	assert_int_equal(w2c_pipeline_state_record(st, 1, &step, &err), W2C_OK);
	w2c_pipeline_state_free(st);

	/* reloaded from disk: done, until an input, a file inside a directory input,
	 * the command line or the output changes */
	assert_int_equal(w2c_pipeline_state_load(dir, &st, &err), W2C_OK);
	assert_true(w2c_pipeline_state_done(st, 0, &step));
	assert_false(w2c_pipeline_state_done(st, 2, &step));
	argv[7] = "huaweicloud";
	assert_false(w2c_pipeline_state_done(st, 0, &step));
	argv[7] = "otc";
	touch(drvf, "inf changed");
	assert_false(w2c_pipeline_state_done(st, 0, &step));
	assert_int_equal(w2c_pipeline_state_record(st, 0, &step, &err), W2C_OK);
	assert_true(w2c_pipeline_state_done(st, 0, &step));
	unlink(out);
	assert_false(w2c_pipeline_state_done(st, 0, &step));
	touch(out, "output");
	assert_int_equal(w2c_pipeline_state_record(st, 0, &step, &err), W2C_OK);
	assert_true(w2c_pipeline_state_done(st, 0, &step));
	/* forgetting from stage 1 keeps stage 0 */
	assert_int_equal(w2c_pipeline_state_forget_from(st, 1, &err), W2C_OK);
	assert_true(w2c_pipeline_state_done(st, 0, &step));
	assert_false(w2c_pipeline_state_done(st, 1, &step));
	w2c_pipeline_state_free(st);

	/* a corrupt state file is refused with the path and how to recover */
	char sf[96];
	snprintf(sf, sizeof sf, "%s/.win2cloud-run.json", dir);
	touch(sf, "{\"stages\": 3}");
	assert_int_equal(w2c_pipeline_state_load(dir, &st, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, ".win2cloud-run.json"));
	assert_non_null(strstr(err.message, "delete it"));

	unlink(sf);
	unlink(src);
	unlink(out);
	unlink(drvf);
	rmdir(drv);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_wire),
		cmocka_unit_test(test_wire_glance_and_output),
		cmocka_unit_test(test_wire_install),
		cmocka_unit_test(test_register_takes_sidecar_sha256),
		cmocka_unit_test(test_wire_errors),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_state_secrets),
		cmocka_unit_test(test_dash_values_are_not_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
