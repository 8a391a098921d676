/* `onboard`: validation, the entry points (w2c_onboard, w2c_onboard_cleanup) and the dry run. */
#include "register/onboard/onboard_int.h"
#include "common/util.h"
#include "win2cloud/credentials.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <string.h>
#include <unistd.h>

/* Why --cloud openstack stops here (see docs/man/win2cloud-onboard.md, "OpenStack"). */
static const char openstack_why[] =
	"--cloud openstack: the ISO -> temporary server route needs Nova with a blank Cinder volume as the "
	"install target, and no blank volume can be attached on the test cloud (Cinder's LVM backend and "
	"Nova's compute need iSCSI target and initiator support the kernel does not have); on OpenStack "
	"use 'win2cloud install' (QEMU on this machine) and then 'win2cloud register --disk'";

static w2c_code check_options(const w2c_onboard_options *o, w2c_error *err)
{
	static const char *const types[] = { "ESSD", "GPSSD2", "GPSSD", "SSD", "SAS", "SATA", NULL };
	const char *dt = o->disk_type ? o->disk_type : "SSD";
	bool type_ok = false;
	w2c_code rc;

	if (o->kind == W2C_CLOUD_OPENSTACK)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s", openstack_why);
	if (!o->iso_image || !*o->iso_image)
		return w2c_set_error(err, W2C_ERR_USAGE, "needs --iso-image ID|NAME (the ISO image 'register "
				     "--iso' made)");
	if (!o->flavor || !o->vpc || !o->subnet)
		return w2c_set_error(err, W2C_ERR_USAGE, "needs --flavor, --vpc and --subnet for the temporary "
				     "server");
	if ((rc = w2c_image_name_check("--name", o->name, err)) || (rc = w2c_image_tags_check(o->tags, err)))
		return rc;
	for (size_t i = 0; types[i]; i++)
		type_ok |= !strcmp(types[i], dt);
	if (!type_ok)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "--disk-type '%s': expected ESSD, GPSSD2, GPSSD, "
				     "SSD, SAS or SATA", dt);
	/* the data disk becomes the system disk of the image: IMS's 40-1024 GB (spec §3.6) */
	if (o->size && (o->size < W2C_MIN_DISK_MIN || o->size > W2C_MIN_DISK_MAX))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "--size %d: expected %d-%d GB (the install disk "
				     "becomes the image's system disk)", o->size, W2C_MIN_DISK_MIN, W2C_MIN_DISK_MAX);
	if (o->os_version) {
		w2c_os_version_list l;
		if (!(rc = w2c_os_version_list_load(&l, NULL, err))) {
			rc = w2c_os_version_check(&l, o->os_version, err);
			w2c_os_version_list_free(&l);
		}
	}
	return rc;
}

/* An existing state file must be about this image; a damaged one stops the run (it may name a server). */
static w2c_code load_state(w2c_onb *r, w2c_error *err)
{
	w2c_code rc = w2c_onboard_state_load(r->state_path, &r->st, err);
	if (rc == W2C_ERR_NOT_FOUND) {
		memset(&r->st, 0, sizeof r->st);
		snprintf(r->st.name, sizeof r->st.name, "%s", r->o->name);
		return W2C_OK;
	}
	if (!rc && strcmp(r->st.name, r->o->name))
		rc = w2c_set_error(err, W2C_ERR_EXISTS, "%s: field 'name': the state is of image '%s', not '%s'",
				   r->state_path, r->st.name, r->o->name);
	return rc;
}

/* One run per image at a time: a second one would not see the first one's server yet. The
 * kernel drops the lock when the process ends, also on SIGKILL. */
static w2c_code lock_run(const char *state_path, int *fd, w2c_error *err)
{
	char *p = w2c_asprintf("%s.lock", state_path);
	if (!p)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	*fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX | LOCK_NB)) {
		w2c_code rc = *fd < 0 ? w2c_set_error(err, W2C_ERR_IO, "%s: %s", p, strerror(errno))
				      : w2c_set_error(err, W2C_ERR_EXISTS, "%s: another 'win2cloud onboard' for "
						      "this image is running; wait for it (or end it: it deletes "
						      "its server)", p);
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		free(p);
		return rc;
	}
	free(p);
	return W2C_OK;
}

/* The caller's cloud config, or the credentials gathered the way `register` gathers them
 * (clouds.yaml / OS_*, AK/SK from the environment or the credentials file). */
static w2c_code gather_credentials(w2c_onboard_options *o, w2c_cloud_config *cfg, w2c_credentials *cred,
				   w2c_error *err)
{
	bool aksk = false;
	w2c_code rc;
	if (o->cfg)
		return W2C_OK;
	if ((rc = w2c_register_credentials(o->kind, o->os_cloud, o->auth, o->plan != NULL, cfg, cred, &aksk,
					   err)))
		return rc;
	o->cfg = cfg;
	o->access_key = aksk ? cred->access_key : NULL;
	o->secret_key = aksk ? cred->secret_key : NULL;
	return W2C_OK;
}

static w2c_code onboard_with(const w2c_onboard_options *o, w2c_onboard_result *res, w2c_error *err)
{
	int lock = -1;
	w2c_onb r = { .o = o, .res = res };
	w2c_code rc;

	r.dry_run = o->plan != NULL;
	if (r.dry_run) {
		w2c_onb_plan_endpoints(&r);
		w2c_onb_plan_run(&r);
		w2c_onb_disconnect(&r);
		return W2C_OK;
	}
	if (o->state_dir && *o->state_dir && (rc = w2c_mkdirs(o->state_dir, err)))
		return rc;
	if (!(r.state_path = w2c_onboard_state_path(o->state_dir, o->name)))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!(rc = lock_run(r.state_path, &lock, err)) && !(rc = load_state(&r, err)) &&
	    !(rc = w2c_onb_connect(&r, err)))
		rc = w2c_onb_run(&r, err);
	w2c_onb_disconnect(&r);
	if (lock >= 0)
		close(lock);
	return rc;
}

w2c_code w2c_onboard(const w2c_onboard_options *o, w2c_onboard_result *res, w2c_error *err)
{
	w2c_onboard_options opts = *o;
	w2c_cloud_config cfg = { 0 };
	w2c_credentials cred = { 0 };
	w2c_code rc;

	memset(res, 0, sizeof *res);
	if (!opts.disk_type)
		opts.disk_type = "SSD";
	if (!opts.size)
		opts.size = 60;
	/* the options first: a bad one is reported before any secret is read */
	if (!(rc = check_options(&opts, err)) && !(rc = gather_credentials(&opts, &cfg, &cred, err)))
		rc = onboard_with(&opts, res, err);
	w2c_cloud_config_free(&cfg);
	w2c_credentials_free(&cred);
	return rc;
}

/* ---- cleanup ---- */

/* Remove the state files in @dir that name run @run_id. */
static unsigned drop_state_files(const char *dir, const char *run_id)
{
	DIR *d = opendir(dir && *dir ? dir : ".");
	struct dirent *e;
	unsigned n = 0;

	while (d && (e = readdir(d))) {
		w2c_onboard_state st;
		char *p;
		if (strncmp(e->d_name, ".win2cloud-onboard-", 19))
			continue;
		p = w2c_asprintf("%s/%s", dir && *dir ? dir : ".", e->d_name);
		if (p && !w2c_onboard_state_load(p, &st, NULL) && !strcmp(st.run_id, run_id) && !unlink(p))
			n++;
		free(p);
	}
	if (d)
		closedir(d);
	return n;
}

static w2c_code cleanup_one(w2c_onb *r, const w2c_onb_server *s, w2c_onboard_cleanup_result *res,
			    w2c_error *err)
{
	char vols[400] = "";
	size_t len = 0;
	w2c_code rc;

	for (unsigned i = 0; i < s->n_volumes; i++)
		len += (size_t)snprintf(vols + len, sizeof vols - len, "%s%s", i ? ", " : "", s->volumes[i]);
	res->found++;
	w2c_onb_event(r, "found", s->id, s->status, "temporary server %s (%s, %s) of run %s", s->name, s->id,
		      s->status, s->run_tag);
	if ((rc = w2c_onb_delete_server(r, s->id, err)))
		return rc;
	res->deleted++;
	res->state_files += drop_state_files(r->o->state_dir, s->run_tag);
	w2c_onb_event(r, "deleted", s->id, s->name, "deleted server %s (%s) with its volumes %s", s->name, s->id,
		      vols[0] ? vols : "(none attached)");
	return W2C_OK;
}

static w2c_code cleanup_all(w2c_onb *r, w2c_onboard_cleanup_result *res, w2c_error *err)
{
	json_t *list, *v;
	size_t i;
	w2c_code rc = w2c_onb_list_servers(r, W2C_ONBOARD_SERVER_PREFIX, &list, err), first = W2C_OK;
	w2c_error e;

	json_array_foreach(list, i, v) {
		w2c_onb_server s;
		if (rc)
			break;
		/* only what is ours: the name prefix (ECS matches names loosely) and our run tag */
		if (w2c_onb_server_parse(v, &s, NULL) || strncmp(s.name, W2C_ONBOARD_SERVER_PREFIX,
								 strlen(W2C_ONBOARD_SERVER_PREFIX)) ||
		    !s.run_tag[0] || !strcmp(s.status, "DELETED"))
			continue;
		if (cleanup_one(r, &s, res, &e) && !first) { /* go on with the others, report the first */
			first = e.code;
			*err = e;
		}
	}
	json_decref(list);
	return rc ? rc : first;
}

static w2c_code cleanup_with(const w2c_onboard_options *o, w2c_onboard_cleanup_result *res, w2c_error *err);

w2c_code w2c_onboard_cleanup(const w2c_onboard_options *o, w2c_onboard_cleanup_result *res, w2c_error *err)
{
	w2c_onboard_options opts = *o;
	w2c_cloud_config cfg = { 0 };
	w2c_credentials cred = { 0 };
	w2c_code rc;

	memset(res, 0, sizeof *res);
	if (o->kind == W2C_CLOUD_OPENSTACK)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s", openstack_why);
	if (!(rc = gather_credentials(&opts, &cfg, &cred, err)))
		rc = cleanup_with(&opts, res, err);
	w2c_cloud_config_free(&cfg);
	w2c_credentials_free(&cred);
	return rc;
}

static w2c_code cleanup_with(const w2c_onboard_options *o, w2c_onboard_cleanup_result *res, w2c_error *err)
{
	w2c_onboard_result dummy;
	w2c_onb r = { .o = o, .res = &dummy };
	w2c_code rc;

	memset(&dummy, 0, sizeof dummy);
	r.stopping = true; /* deleting is what a stop request wants too */
	if (o->plan) {
		r.dry_run = true;
		w2c_onb_plan_endpoints(&r);
		w2c_onb_plan_token(&r);
		char *u = w2c_asprintf("%s/v1/%s/cloudservers/detail?name=%s&limit=1000", r.ecs_url, r.project_id,
				       W2C_ONBOARD_SERVER_PREFIX);
		json_t *b = w2c_onb_delete_body("{server_id}");
		w2c_onb_plan(&r, "GET", u, NULL);
		free(u);
		u = w2c_asprintf("%s/v1/%s/cloudservers/delete", r.ecs_url, r.project_id);
		w2c_onb_plan(&r, "POST", u, b);
		free(u);
		json_decref(b);
		w2c_onb_disconnect(&r);
		return W2C_OK;
	}
	if (!(rc = w2c_onb_connect(&r, err)))
		rc = cleanup_all(&r, res, err);
	w2c_onb_disconnect(&r);
	return rc;
}
