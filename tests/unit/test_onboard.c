/* onboard: the state file (round trip, atomic 0600, malformed input named by path and field),
 * the parsers of ECS/IMS jobs and server details, and the request bodies of the ISO route. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "register/onboard/onboard_int.h"
#include "win2cloud/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/w2c-test-onboard-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_state_path(void **state)
{
	(void)state;
	char *p = w2c_onboard_state_path("/x", "win 2019/base");
	assert_string_equal(p, "/x/.win2cloud-onboard-win_2019_base.json");
	free(p);
	p = w2c_onboard_state_path(NULL, "a.b-c_d");
	assert_string_equal(p, "./.win2cloud-onboard-a.b-c_d.json");
	free(p);
}

static void test_state_round_trip(void **state)
{
	(void)state;
	w2c_onboard_state st = { 0 }, back;
	w2c_error err;
	struct stat sb;
	char *p = w2c_onboard_state_path(dir, "win");

	snprintf(st.run_id, sizeof st.run_id, "0123456789abcdef");
	snprintf(st.name, sizeof st.name, "win");
	snprintf(st.step, sizeof st.step, "installing");
	snprintf(st.server_id, sizeof st.server_id, "srv-1");
	snprintf(st.volume_id, sizeof st.volume_id, "vol-2");
	assert_int_equal(w2c_onboard_state_save(p, &st, &err), W2C_OK);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(w2c_onboard_state_load(p, &back, &err), W2C_OK);
	assert_memory_equal(&st, &back, sizeof st);
	unlink(p);
	assert_int_equal(w2c_onboard_state_load(p, &back, &err), W2C_ERR_NOT_FOUND);
	free(p);
}

static void load_fails(const char *text, const char *expect)
{
	w2c_onboard_state st;
	w2c_error err = { 0 };
	char *p = w2c_onboard_state_path(dir, "bad");
	write_text(p, text);
	assert_int_equal(w2c_onboard_state_load(p, &st, &err), W2C_ERR_INVALID_INPUT);
	if (!strstr(err.message, expect) || !strstr(err.message, p))
		fail_msg("message '%s' lacks '%s' or the path", err.message, expect);
	unlink(p);
	free(p);
}

static void test_state_malformed(void **state)
{
	(void)state;
	load_fails("{\"step\": ", "expected the JSON state");
	load_fails("[1, 2]", "expected the JSON state");
	load_fails("{\"step\": \"flying\"}", "field 'step'");
	load_fails("{\"step\": \"installing\", \"run_id\": \"xyz\"}", "field 'run_id'");
	load_fails("{\"server_id\": 7}", "field 'server_id'");
	char big[400];
	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = 0;
	char *doc = malloc(600);
	snprintf(doc, 600, "{\"volume_id\": \"%s\"}", big);
	load_fails(doc, "at most 127 characters");
	free(doc);
}

static void test_job_parse(void **state)
{
	(void)state;
	w2c_onb_job j;
	w2c_error err;
	const char *ecs = "{\"status\":\"SUCCESS\",\"entities\":{\"sub_jobs\":[{\"status\":\"SUCCESS\","
			  "\"entities\":{\"server_id\":\"s-9\"}}]}}";
	assert_int_equal(w2c_onb_job_parse(ecs, strlen(ecs), true, &j, &err), W2C_OK);
	assert_string_equal(j.entity_id, "s-9");
	const char *fail = "{\"status\":\"FAIL\",\"error_code\":null,\"entities\":{\"sub_jobs\":[{\"error_code\":"
			   "\"Ecs.0319\",\"entities\":{\"errorcode_message\":\"sold out\"}}]}}";
	assert_int_equal(w2c_onb_job_parse(fail, strlen(fail), true, &j, &err), W2C_OK);
	assert_string_equal(j.error_code, "Ecs.0319");
	assert_string_equal(j.fail_reason, "sold out");
	const char *ims = "{\"status\":\"SUCCESS\",\"entities\":{\"sub_jobs_result\":[{\"entities\":{\"image_id\":\"i-1\"}}]}}";
	assert_int_equal(w2c_onb_job_parse(ims, strlen(ims), false, &j, &err), W2C_OK);
	assert_string_equal(j.entity_id, "i-1");
	assert_int_equal(w2c_onb_job_parse("{\"status\":\"DONE\"}", 17, true, &j, &err), W2C_ERR_REMOTE);
	assert_non_null(strstr(err.message, "'status'"));
	assert_int_equal(w2c_onb_job_parse("nope", 4, false, &j, &err), W2C_ERR_REMOTE);
}

static void test_server_parse(void **state)
{
	(void)state;
	w2c_onb_server s;
	w2c_error err;
	json_t *doc = json_loads("{\"id\":\"s1\",\"name\":\"w2c-onboard-x\",\"status\":\"ACTIVE\",\"metadata\":"
				 "{\"w2c_onboard\":\"0123456789abcdef\"},\"os-extended-volumes:volumes_attached\":"
				 "[{\"id\":\"root\",\"bootIndex\":\"0\"},{\"id\":\"data\",\"bootIndex\":\"-1\"}]}",
				 0, NULL);
	assert_int_equal(w2c_onb_server_parse(doc, &s, &err), W2C_OK);
	assert_string_equal(s.data_volume, "data"); /* Setup installs onto the data disk */
	assert_int_equal(s.n_volumes, 2);
	assert_string_equal(s.run_tag, "0123456789abcdef");
	json_decref(doc);
	doc = json_loads("{\"id\":\"s2\"}", 0, NULL);
	assert_int_equal(w2c_onb_server_parse(doc, &s, &err), W2C_ERR_REMOTE);
	json_decref(doc);
}

static void test_request_bodies(void **state)
{
	(void)state;
	const char *tags[] = { "team=ci", NULL };
	w2c_onboard_options o = { .flavor = "s3.large.2", .vpc = "v", .subnet = "n", .disk_type = "SAS",
				  .size = 80, .name = "win", .tags = tags };
	w2c_onboard_result res = { 0 };
	w2c_onb r = { .o = &o, .res = &res, .iso_min_disk = 40 };
	snprintf(r.st.run_id, sizeof r.st.run_id, "0123456789abcdef");
	snprintf(r.st.server_name, sizeof r.st.server_name, "w2c-onboard-0123456789abcdef");
	snprintf(r.st.iso_image_id, sizeof r.st.iso_image_id, "iso-1");
	snprintf(r.content_tag, sizeof r.content_tag, "w2c-sha256.abc");
	snprintf(r.iso_os_version, sizeof r.iso_os_version, "Windows Server 2019 Datacenter 64bit");

	json_t *b = w2c_onb_create_body(&r), *s = json_object_get(b, "server");
	assert_string_equal(json_string_value(json_object_get(s, "imageRef")), "iso-1");
	assert_int_equal(json_array_size(json_object_get(s, "data_volumes")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(s, "data_volumes"), 0),
							 "size")), 80);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "root_volume"), "size")), 40);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "metadata"), "virtual_env_type")),
			    "IsoImage");
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "extendparam"), "diskPrior")), "true");
	json_decref(b);

	b = w2c_onb_delete_body("s1");
	assert_true(json_is_true(json_object_get(b, "delete_volume")));
	json_decref(b);

	b = w2c_onb_image_body(&r, "vol-9");
	assert_string_equal(json_string_value(json_object_get(b, "volume_id")), "vol-9");
	assert_string_equal(json_string_value(json_object_get(b, "os_version")), "Windows Server 2019 Datacenter 64bit");
	json_t *t = json_object_get(b, "image_tags");
	assert_int_equal(json_array_size(t), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(t, 1), "key")), "w2c-sha256");
	assert_string_equal(json_string_value(json_object_get(json_array_get(t, 1), "value")), "abc");
	json_decref(b);
}

static void test_options_refused(void **state)
{
	(void)state;
	w2c_onboard_options o = { .kind = W2C_CLOUD_OTC, .iso_image = "i", .name = "win", .flavor = "f",
				  .vpc = "v", .subnet = "s" };
	w2c_onboard_result res;
	w2c_error err;
	o.size = 30;
	assert_int_equal(w2c_onboard(&o, &res, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "--size 30"));
	o.size = 0;
	o.disk_type = "NVME";
	assert_int_equal(w2c_onboard(&o, &res, &err), W2C_ERR_INVALID_INPUT);
	o.disk_type = NULL;
	o.name = " lead";
	assert_int_equal(w2c_onboard(&o, &res, &err), W2C_ERR_INVALID_INPUT);
	o.name = "win";
	o.kind = W2C_CLOUD_OPENSTACK;
	assert_int_equal(w2c_onboard(&o, &res, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, "register --disk"));
}

/* The pipeline stage: onboard takes the register stage's image name and the work directory. */
static void test_pipeline_stage(void **state)
{
	(void)state;
	const char *y = "source: w.iso\nworkdir: /out\nstages:\n"
			"  - upload: { to: \"obs://b/w.iso\" }\n"
			"  - register: { cloud: otc, name: win-iso, os-version: x, wait: true }\n"
			"  - onboard: { cloud: otc, name: win-base, flavor: s3.large.2, vpc: v, subnet: s, wait: true }\n";
	w2c_pipeline *p = NULL;
	w2c_pipeline_cursor cur = { 0 };
	w2c_pipeline_step step;
	w2c_error err;
	char line[512] = "";

	assert_int_equal(w2c_pipeline_parse(y, strlen(y), "p.yaml", &p, &err), W2C_OK);
	for (size_t i = 0; i < p->n_stages; i++) {
		assert_int_equal(w2c_pipeline_step_make(p, i, &cur, &step, &err), W2C_OK);
		if (i == 2)
			for (size_t k = 0; k < step.argc; k++)
				snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", k ? " " : "", step.argv[k]);
		w2c_pipeline_step_clear(&step);
	}
	assert_string_equal(line, "onboard --iso-image=win-iso --state-dir=/out/onboard --cloud=otc --name=win-base "
			    "--flavor=s3.large.2 --vpc=v --subnet=s --wait");
	w2c_pipeline_cursor_clear(&cur);
	w2c_pipeline_free(p);

	const char *lone = "source: w.iso\nstages:\n  - onboard: { cloud: otc, name: b }\n";
	assert_int_equal(w2c_pipeline_parse(lone, strlen(lone), "q.yaml", &p, &err), W2C_OK);
	assert_int_equal(w2c_pipeline_step_make(p, 0, &cur, &step, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "q.yaml:3: onboard: no register stage"));
	w2c_pipeline_cursor_clear(&cur);
	w2c_pipeline_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_path),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_malformed),
		cmocka_unit_test(test_job_parse),
		cmocka_unit_test(test_server_parse),
		cmocka_unit_test(test_request_bodies),
		cmocka_unit_test(test_options_refused),
		cmocka_unit_test(test_pipeline_stage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
