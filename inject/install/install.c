/* w2c_install(): preflight, QEMU, watch, convert, deep check (win2cloud/install.h). */
#include "inject/install/install_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void w2c_install_options_init(w2c_install_options *o)
{
	memset(o, 0, sizeof *o);
	o->size = 60ull << 30;
	o->format = "qcow2";
	o->timeout = 3 * 3600;
	o->memory = 4ull << 30;
	o->cpus = 2;
	o->max_resets = 8;
}

w2c_code w2c_install_parse_size(const char *s, const char *what, uint64_t *bytes, w2c_error *err)
{
	char *end = NULL;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = s && isdigit((unsigned char)*s) ? strtoull(s, &end, 10) : 0;
	if (!end || errno)
		goto bad;
	switch (toupper((unsigned char)*end)) {
	case 0: break;
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: goto bad;
	}
	if (*end && end[1] && strcasecmp(end + 1, "iB") && strcasecmp(end + 1, "B"))
		goto bad;
	if (shift && v > (UINT64_MAX >> shift))
		goto bad;
	*bytes = (uint64_t)v << shift;
	return W2C_OK;
bad:
	return w2c_set_error(err, W2C_ERR_USAGE, "%s '%s': expected a size such as 60G, 4096M or 1T",
			     what, s ? s : "");
}

w2c_code w2c_install_parse_duration(const char *s, const char *what, unsigned *seconds,
				    w2c_error *err)
{
	char *end = NULL;
	unsigned long v;
	unsigned long mul = 1;

	errno = 0;
	v = s && isdigit((unsigned char)*s) ? strtoul(s, &end, 10) : 0;
	if (end && !errno && end[0] && !end[1]) {
		mul = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 0;
		end++;
	}
	if (!end || errno || *end || !mul || v == 0 || v > 30ul * 86400 / mul)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s '%s': expected a duration such as 90s, "
				     "45m or 3h (at most 30 days)", what, s ? s : "");
	*seconds = (unsigned)(v * mul);
	return W2C_OK;
}

static void run_free(ins_run *run)
{
	if (run->qemu)
		ins_kill(run->qemu);
	if (run->qmp >= 0)
		close(run->qmp);
	if (run->console_rd >= 0)
		close(run->console_rd);
	if (run->console_open)
		w2c_outfile_abort(&run->console);
	if (run->disk_fd >= 0)
		close(run->disk_fd);
	if (run->qemu_err >= 0)
		close(run->qemu_err);
}

/* The console log is an atomic output at its evidence name, kept only on failure. */
static w2c_code open_console(ins_run *run, w2c_error *err)
{
	char *path = ins_evidence_path(run->o, ".console.log"), *via;
	w2c_code rc = path ? w2c_outfile_open(&run->console, path, 0644, err)
			   : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	free(path);
	if (rc)
		return rc;
	run->console_open = true;
	via = ins_fd_path(run->console.fd);
	run->console_rd = via ? open(via, O_RDONLY | O_CLOEXEC) : -1;
	free(via);
	return W2C_OK;
}

static w2c_code deep_check(ins_run *run, w2c_error *err)
{
	const w2c_install_options *o = run->o;
	w2c_check_profile *own = NULL;
	w2c_check_options co = { .deep = o->deep, .firmware = "bios", .log = o->log };
	w2c_disk_info info;
	w2c_code rc = W2C_OK;
	unsigned errors = 0;

	co.profile = o->profile;
	if (!co.profile && (rc = w2c_check_profile_load("openstack", NULL, &own, err)))
		return rc;
	if (!co.profile)
		co.profile = own;
	ins_emit(run, "check", NULL);
	if (!(run->res->report = w2c_check_report_new(co.profile)))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = w2c_check_disk(o->output, &co, run->res->report, &info, err);
	if (!rc && o->deep != W2C_DEEP_OFF) {
		const char *paths[] = { o->output };
		rc = w2c_check_disks_deep(paths, &info, 1, &co, run->res->report, err);
	}
	w2c_check_profile_free(own);
	if (rc)
		return rc;
	w2c_check_report_summary(run->res->report, &errors, NULL, NULL, NULL, NULL);
	if (errors)
		return w2c_set_error(err, W2C_ERR_VIOLATIONS, "%s: written, but the check found %u "
				     "error(s) (see the report)", o->output, errors);
	return W2C_OK;
}

static w2c_code preflight_error(ins_run *run, w2c_error *err)
{
	const w2c_install_result *res = run->res;
	return w2c_set_error(err, W2C_ERR_VIOLATIONS, "%s: not installable as it is (QEMU not started): "
			     "%s%s", run->o->iso, res->problems[0],
			     res->n_problems > 1 ? " (and more, see the list)" : "");
}

w2c_code w2c_install(const w2c_install_options *o, w2c_install_result *res, w2c_error *err)
{
	ins_run run = { .o = o, .res = res, .disk_fd = -1, .console_rd = -1, .qmp = -1,
			.qemu_err = -1 };
	w2c_code rc;

	memset(res, 0, sizeof *res);
	if (!o->iso || !o->output)
		return w2c_set_error(err, W2C_ERR_USAGE, "install: needs an ISO and an output path");
	ins_emit(&run, "preflight", NULL);
	if ((rc = ins_preflight(&run, err)))
		return rc;
	if (res->n_problems)
		return preflight_error(&run, err);
	if ((rc = ins_disk_create(&run, err)) || (rc = open_console(&run, err)) ||
	    (rc = ins_qemu_start(&run, err)))
		goto out;
	ins_emit(&run, "start", res->accel);
	if ((rc = ins_qmp_handshake(&run, err)) || (rc = ins_watch(&run, err)))
		goto out;
	res->install_seconds = w2c_now() - run.t0;
	ins_emit(&run, "poweroff", NULL);
	if (!(rc = ins_disk_convert(&run, err)))
		rc = deep_check(&run, err);
	ins_emit(&run, "done", NULL);
out:
	run_free(&run);
	return rc;
}

void w2c_install_result_clear(w2c_install_result *res)
{
	w2c_check_report_free(res->report);
	res->report = NULL;
}
