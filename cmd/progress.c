/* Progress display: a bar on a TTY, JSON-lines events with --json, else silence. */
#include "cli.h"

#include <string.h>

void cli_progress_end(w2c_cli *cli)
{
	if (cli->progress_last > 0 && cli->tty && !cli->json) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	cli->progress_last = 0;
}

static void draw_bar(w2c_cli *cli, const w2c_progress_event *ev, double now)
{
	char a[32], b[32], r[32];
	double el = now - cli->progress_t0, rate = el > 0 ? (double)ev->done / el : 0;
	double frac = ev->total ? (double)ev->done / (double)ev->total : 0;
	int width = 24, fill = (int)(frac * width);
	char bar[32];
	double eta = rate > 0 && ev->total > ev->done ? (double)(ev->total - ev->done) / rate : 0;

	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = 0;
	fprintf(stderr, "\r\033[K%s [%s] %3.0f%% %s/%s %s/s ETA %02d:%02d", ev->stage, bar,
		frac * 100, cli_human_bytes(ev->done, a), cli_human_bytes(ev->total, b),
		cli_human_bytes((unsigned long long)rate, r), (int)eta / 60, (int)eta % 60);
	fflush(stderr);
}

static void emit_json(w2c_cli *cli, const w2c_progress_event *ev, double now)
{
	json_t *o = json_pack("{s:s,s:s,s:s?,s:I,s:I,s:f}", "event", "progress", "stage", ev->stage,
			      "item", ev->item, "done", (json_int_t)ev->done, "total",
			      (json_int_t)ev->total, "elapsed", now - cli->progress_t0);
	json_dumpf(o, stderr, JSON_COMPACT);
	fputc('\n', stderr);
	json_decref(o);
}

/* The library's progress callback: throttled to 5 updates a second. */
static int on_progress(void *user, const w2c_progress_event *ev)
{
	w2c_cli *cli = user;
	double now = cli_now();
	bool last = ev->total && ev->done >= ev->total;

	if (cli_interrupted())
		return 1;
	if (cli->quiet || (!cli->json && !cli->tty))
		return 0;
	if (cli->progress_t0 == 0 || strncmp(cli->progress_stage, ev->stage, sizeof cli->progress_stage - 1)) {
		cli->progress_t0 = now;
		snprintf(cli->progress_stage, sizeof cli->progress_stage, "%s", ev->stage);
	}
	if (!last && now - cli->progress_last < 0.2)
		return 0;
	cli->progress_last = now;
	if (cli->json)
		emit_json(cli, ev, now);
	else
		draw_bar(cli, ev, now);
	return 0;
}

void cli_progress_init(w2c_cli *cli)
{
	cli->progress.fn = on_progress;
	cli->progress.user = cli;
}
