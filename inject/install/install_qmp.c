/* QMP, QEMU's JSON monitor, over a socket pair: one JSON object per line. */
#include "inject/install/install_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read what is there within @ms; false on EOF or error. */
static bool fill(ins_run *run, int ms)
{
	struct pollfd p = { run->qmp, POLLIN, 0 };
	int r = poll(&p, 1, ms);
	if (r < 0)
		return errno == EINTR;
	if (r == 0)
		return true;
	if (run->qmp_len >= sizeof run->qmp_buf - 1)
		run->qmp_len = 0; /* a line longer than the buffer is no QMP we can use: drop it */
	ssize_t n = read(run->qmp, run->qmp_buf + run->qmp_len, sizeof run->qmp_buf - 1 - run->qmp_len);
	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN);
	run->qmp_len += (size_t)n;
	return true;
}

/* Take the next complete line as JSON (NULL when none is complete yet). */
static json_t *next_message(ins_run *run)
{
	char *nl = memchr(run->qmp_buf, '\n', run->qmp_len);
	json_t *msg;
	if (!nl)
		return NULL;
	*nl = 0;
	msg = json_loads(run->qmp_buf, 0, NULL);
	size_t used = (size_t)(nl - run->qmp_buf) + 1;
	memmove(run->qmp_buf, nl + 1, run->qmp_len - used);
	run->qmp_len -= used;
	return msg ? msg : json_object(); /* unparsable: an empty object, ignored */
}

/* Events go to the watcher; anything else is returned. */
static json_t *dispatch(ins_run *run, json_t *msg)
{
	const char *ev = json_string_value(json_object_get(msg, "event"));
	if (!ev)
		return msg;
	ins_on_event(run, ev, json_object_get(msg, "data"));
	json_decref(msg);
	return NULL;
}

bool ins_qmp_pump(ins_run *run, int ms)
{
	bool open = fill(run, ms);
	json_t *msg;
	while ((msg = next_message(run)))
		json_decref(dispatch(run, msg)); /* a stray reply is dropped */
	return open;
}

/* The next message that is no event, waiting up to @seconds. */
static json_t *wait_reply(ins_run *run, double seconds)
{
	double t0 = w2c_now();
	for (;;) {
		json_t *msg;
		while ((msg = next_message(run)))
			if ((msg = dispatch(run, msg)))
				return msg;
		if (w2c_now() - t0 > seconds || !fill(run, 100))
			return NULL;
	}
}

w2c_code ins_qmp_handshake(ins_run *run, w2c_error *err)
{
	json_t *hello = wait_reply(run, 30);
	bool ok = hello && json_object_get(hello, "QMP");
	json_decref(hello);
	if (!ok) {
		char why[512];
		ins_qemu_stderr(run, why, sizeof why);
		return w2c_set_error(err, W2C_ERR_EXTERNAL, "QEMU did not start%s%s", *why ? ": " : "",
				     why);
	}
	return ins_qmp_call(run, "qmp_capabilities", NULL, 10, NULL, err);
}

w2c_code ins_qmp_call(ins_run *run, const char *cmd, json_t *args, double seconds, json_t **ret,
		      w2c_error *err)
{
	json_t *req = json_pack("{s:s}", "execute", cmd), *reply;
	char *line;
	w2c_code rc = W2C_OK;

	if (args)
		json_object_set_new(req, "arguments", args);
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	size_t n = strlen(line);
	line[n] = '\n'; /* the terminating NUL becomes the line end */
	bool sent = write(run->qmp, line, n + 1) == (ssize_t)(n + 1);
	free(line);
	if (!sent)
		return w2c_set_error(err, W2C_ERR_EXTERNAL, "QMP %s: QEMU closed its monitor", cmd);
	if (!(reply = wait_reply(run, seconds)))
		return w2c_set_error(err, W2C_ERR_EXTERNAL, "QMP %s: no answer within %.0f s", cmd, seconds);
	json_t *e = json_object_get(reply, "error");
	const char *desc = json_string_value(json_object_get(e, "desc"));
	if (e)
		rc = w2c_set_error(err, W2C_ERR_EXTERNAL, "QMP %s: %s", cmd, desc ? desc : "refused");
	else if (ret)
		*ret = json_incref(json_object_get(reply, "return"));
	json_decref(reply);
	return rc;
}
