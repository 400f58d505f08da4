/* TUI benchmarks on a virtual terminal (no TTY needed):
 *   ui.key_to_screen_median  a key press to the updated screen while a step
 *                            streams 8,000 lines a second from another
 *                            thread (ms); ui.key_to_screen_max the worst
 *   ui.output_rss_growth_12mb resident memory gained while 12 MB of output
 *                            (200,000 lines) streams into the Output pane,
 *                            which keeps ui.scrollback lines (MB)
 *   ui.scroll_frame_median   one page down through a 100,000-line diff (ms)
 *   ui.rss_100_steps         resident memory after a 100-step session with
 *                            streamed replies and output (MB)
 * A model and an executor are scripted here (no network, no container). */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui/ui.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static lc_app *open_app(const lc_config *cfg, lc_diff *d)
{
    lc_ui_opts o = LC_UI_OPTS_INIT;
    o.cfg = cfg;
    o.diff = d;
    o.themes_dir = LC_SOURCE_DIR "/themes";
    o.virtual_term = true;
    o.rows = 50;
    o.cols = 160;
    o.approval_guard_ms = 0;
    lc_err err = {0};
    lc_app *app = lc_ui_new(&o, &err);
    if (!app) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    return app;
}

static void feed(lc_app *app, const char *k)
{
    lc_err err = {0};
    if (lc_ui_feed_keys(app, k, &err) != LC_OK) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
}

/* ---- key to screen while output streams ------------------------------------ */

typedef struct streamer {
    lc_observer obs;
    atomic_bool stop;
} streamer;

static void *stream_main(void *arg)
{
    streamer *s = arg;
    char line[128];
    for (unsigned long i = 0; !atomic_load(&s->stop); i++) {
        int n = snprintf(line, sizeof line, "output line %lu: some text a test prints while it runs\n", i);
        lc_event ev = {.kind = LC_EV_OUTPUT, .step = 1, .text = line, .len = (size_t)n,
                       .stream = i % 7 ? LC_STREAM_STDOUT : LC_STREAM_STDERR};
        s->obs.event(s->obs.ctx, &ev);
        if (i % 8 == 7)
            lc_sleep_ms(1); /* about 8,000 lines a second (the sleep's overshoot makes it fewer) */
    }
    return NULL;
}

static double bench_key_to_screen(const lc_config *cfg, double *worst)
{
    lc_app *app = open_app(cfg, NULL);
    streamer s = {.obs = lc_ui_observer(app)};
    lc_decision d = {.kind = LC_DECIDE_RUN};
    lc_event de = {.kind = LC_EV_DECISION, .step = 1, .decision = &d};
    s.obs.event(s.obs.ctx, &de);
    pthread_t th;
    pthread_create(&th, NULL, stream_main, &s);
    enum { N = 300 };
    double t[N];
    lc_buf screen = LC_BUF_INIT;
    for (int i = 0; i < N; i++) {
        lc_ui_pump(app, 2); /* output keeps arriving between presses */
        double t0 = lc_now_s();
        feed(app, "<Tab>");
        lc_ui_pump(app, 0); /* the key, the queued output, one frame */
        t[i] = (lc_now_s() - t0) * 1000.0;
    }
    *worst = 0;
    for (int i = 0; i < N; i++)
        *worst = t[i] > *worst ? t[i] : *worst;
    lc_ui_dump_screen(app, &screen);
    if (!strstr(lc_buf_cstr(&screen), "output line")) {
        fprintf(stderr, "bench_ui: no streamed output on screen\n");
        exit(1);
    }
    atomic_store(&s.stop, true);
    pthread_join(th, NULL);
    lc_buf_free(&screen);
    lc_ui_free(app);
    return median(t, N);
}

/* ---- paging through a 100,000-line diff ------------------------------------- */

static void write_file(const char *path, const lc_buf *b, bool old)
{
    lc_err err = {0};
    if (lc_file_write_atomic(path, b->data, b->len, 0644, &err) != LC_OK) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    if (old) {
        struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
        utimensat(AT_FDCWD, path, ts, 0);
    }
}

static double bench_scroll(const lc_config *cfg)
{
    char tmpl[] = "/tmp/lc-bench-ui-XXXXXX";
    if (!mkdtemp(tmpl))
        exit(1);
    char *orig = lc_xasprintf("%s/orig", tmpl), *state = lc_xasprintf("%s/state", tmpl);
    char *shadow = lc_xasprintf("%s/state/shadow", tmpl);
    lc_err err = {0};
    lc_mkdir_p(orig, 0755, &err);
    lc_mkdir_p(shadow, 0755, &err);
    lc_buf a = LC_BUF_INIT, b = LC_BUF_INIT;
    for (int i = 1; i <= 100000; i++) {
        lc_buf_printf(&a, "line %d of the original file\n", i);
        lc_buf_printf(&b, i % 2 ? "line %d of the original file\n" : "line %d changed by the agent\n", i);
    }
    char *po = lc_xasprintf("%s/big.txt", orig), *ps = lc_xasprintf("%s/big.txt", shadow);
    write_file(po, &a, true);
    lc_diff *d = NULL;
    if (lc_diff_snapshot(orig, state, &err) != LC_OK) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    write_file(ps, &a, true);
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    utimensat(AT_FDCWD, ps, ts, 0);
    if (lc_diff_open(orig, shadow, state, NULL, &d, &err) != LC_OK) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    write_file(ps, &b, false);
    lc_app *app = open_app(cfg, d);
    feed(app, "<Tab><Tab><Tab>z");
    lc_ui_pump(app, 0);
    enum { N = 400 };
    double t[N];
    for (int i = 0; i < N; i++) {
        double t0 = lc_now_s();
        feed(app, i == N / 2 ? "g" : "<PgDn>");
        lc_ui_pump(app, 0);
        t[i] = (lc_now_s() - t0) * 1000.0;
    }
    /* Make sure it was the diff that scrolled, far down. */
    lc_buf screen = LC_BUF_INIT;
    lc_ui_dump_screen(app, &screen);
    if (!strstr(lc_buf_cstr(&screen), "changed by the agent") || strstr(lc_buf_cstr(&screen), "+line 2 ")) {
        fprintf(stderr, "bench_ui: the diff is not on screen:\n%s", lc_buf_cstr(&screen));
        exit(1);
    }
    lc_buf_free(&screen);
    lc_ui_free(app);
    lc_diff_free(d);
    lc_rm_rf(tmpl, &err);
    lc_buf_free(&a);
    lc_buf_free(&b);
    free(orig);
    free(state);
    free(shadow);
    free(po);
    free(ps);
    return median(t, N);
}

/* ---- a 100-step session ---------------------------------------------------- */

typedef struct script_llm {
    int calls, steps;
} script_llm;

static int s_chat(lc_llm *llm, const lc_llm_request *req, const lc_llm_stream *stream, lc_llm_reply *reply,
                  lc_err *err)
{
    (void)req;
    (void)err;
    script_llm *s = llm->impl;
    s->calls++;
    char *text = s->calls >= s->steps
                     ? lc_xstrdup("Done.\n```python\nfinal_answer(\"finished\")\n```")
                     : lc_xasprintf("Step %d: I will look at more files and print what I find.\n"
                                    "```python\nfor i in range(20):\n    print('file', i, %d)\n```",
                                    s->calls, s->calls);
    /* Stream it in small pieces like a real provider. */
    size_t n = strlen(text);
    for (size_t i = 0; stream && stream->text && i < n; i += 8)
        stream->text(stream->ctx, text + i, n - i < 8 ? n - i : 8);
    memset(reply, 0, sizeof *reply);
    reply->content = text;
    reply->finish_reason = lc_xstrdup("stop");
    reply->prompt_tokens = 1000;
    reply->completion_tokens = 40;
    return LC_OK;
}

static void s_cancel(lc_llm *llm) { (void)llm; }
static void s_destroy(lc_llm *llm) { free(llm->impl); free(llm); }
static const lc_llm_ops s_llm_ops = {s_chat, s_cancel, s_destroy};

static int x_start(lc_executor *ex, lc_err *err) { (void)ex; (void)err; return LC_OK; }
static int x_check(lc_executor *ex, const char *code, lc_exec_result *res, lc_err *err)
{
    (void)ex; (void)code; (void)err;
    memset(res, 0, sizeof *res);
    return LC_OK;
}
static int x_exec(lc_executor *ex, const char *code, int timeout_s, const lc_exec_hooks *hooks,
                  lc_exec_result *res, lc_err *err)
{
    (void)ex; (void)timeout_s; (void)err;
    memset(res, 0, sizeof *res);
    lc_buf out = LC_BUF_INIT;
    for (int i = 0; i < 20; i++)
        lc_buf_printf(&out, "file %d: src/module_%d/some_file_name.py  120 lines\n", i, i);
    if (hooks && hooks->output)
        hooks->output(hooks->ctx, LC_STREAM_STDOUT, out.data, out.len);
    res->output = lc_buf_detach(&out);
    if (strstr(code, "final_answer")) {
        res->status = LC_STEP_FINAL;
        res->final_answer = lc_xstrdup("\"finished\"");
    }
    res->duration_s = 0.01;
    return LC_OK;
}
static int x_define(lc_executor *ex, const char *code, lc_err *err) { (void)ex; (void)code; (void)err; return LC_OK; }
static void x_interrupt(lc_executor *ex) { (void)ex; }
static void x_stop(lc_executor *ex) { (void)ex; }
static char *x_describe(lc_executor *ex) { (void)ex; return lc_xstrdup("bench 1g 1cpu net:none"); }
static void x_destroy(lc_executor *ex) { free(ex); }
static const lc_executor_ops x_ops = {"bench", x_start, x_check, x_exec, x_define, x_interrupt,
                                      x_stop, x_describe, x_destroy, NULL};

static double rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atof(line + 6);
    if (f)
        fclose(f);
    return kb / 1024.0;
}

static double bench_rss(lc_config *cfg)
{
    cfg->agent.max_steps = 150;
    lc_llm *llm = lc_xcalloc(1, sizeof *llm);
    script_llm *s = lc_xcalloc(1, sizeof *s);
    s->steps = 101;
    llm->ops = &s_llm_ops;
    llm->impl = s;
    lc_executor *ex = lc_xcalloc(1, sizeof *ex);
    ex->ops = &x_ops;
    lc_app *app = open_app(cfg, NULL);
    lc_observer obs = lc_ui_observer(app);
    lc_agent *agent = NULL;
    lc_err err = {0};
    if (lc_agent_new(cfg, llm, ex, &obs, NULL, NULL, &agent, &err) != LC_OK) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    lc_ui_start(app, agent, "look at every file and report");
    if (!lc_ui_wait_for(app, "Run step 1?", 30000)) {
        fprintf(stderr, "bench_ui: no approval question\n");
        exit(1);
    }
    feed(app, "a"); /* approve the rest of the session */
    if (!lc_ui_wait_idle(app, 120000)) {
        fprintf(stderr, "bench_ui: the session did not end\n");
        exit(1);
    }
    int steps = lc_agent_steps(agent);
    double mb = rss_mb();
    lc_ui_join(app);
    if (steps < 100)
        fprintf(stderr, "bench_ui: only %d steps ran\n", steps);
    lc_ui_free(app);
    lc_agent_free(agent);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    return mb;
}

/* ---- output at volume: memory stays bounded by the scrollback --------------- */

static double bench_output_rss(const lc_config *cfg, size_t *kept)
{
    lc_app *app = open_app(cfg, NULL);
    lc_observer obs = lc_ui_observer(app);
    lc_decision d = {.kind = LC_DECIDE_RUN};
    lc_event de = {.kind = LC_EV_DECISION, .step = 1, .decision = &d};
    obs.event(obs.ctx, &de);
    lc_ui_pump(app, 0);
    double before = rss_mb();
    char line[128];
    for (unsigned long i = 0; i < 200000; i++) {
        int n = snprintf(line, sizeof line, "output line %06lu: %-40s\n", i, "some text a test prints");
        lc_event ev = {.kind = LC_EV_OUTPUT, .step = 1, .text = line, .len = (size_t)n,
                       .stream = LC_STREAM_STDOUT};
        obs.event(obs.ctx, &ev);
        if (i % 1000 == 999)
            lc_ui_pump(app, 0);
    }
    lc_ui_pump(app, 0);
    double after = rss_mb();
    lc_buf screen = LC_BUF_INIT;
    feed(app, "<Tab><Tab>g"); /* the Output pane, its top: the marker of what was dropped */
    lc_ui_pump(app, 0);
    lc_ui_dump_screen(app, &screen);
    if (!strstr(lc_buf_cstr(&screen), "earlier lines dropped")) {
        fprintf(stderr, "bench_ui: no marker for the dropped lines\n%s", lc_buf_cstr(&screen));
        exit(1);
    }
    *kept = (size_t)cfg->ui.scrollback;
    lc_buf_free(&screen);
    lc_ui_free(app);
    return after - before;
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        return 1;
    }
    lc_config cfg;
    lc_config_defaults(&cfg);
    double worst = 0;
    printf("figure: ui.key_to_screen_median %.3f ms\n", bench_key_to_screen(&cfg, &worst));
    printf("figure: ui.key_to_screen_max %.3f ms\n", worst);
    fflush(stdout);
    size_t kept = 0;
    double grow = bench_output_rss(&cfg, &kept);
    printf("figure: ui.output_rss_growth_12mb %.1f MB\n", grow);
    printf("figure: ui.output_lines_kept %zu lines\n", kept);
    fflush(stdout);
    printf("figure: ui.scroll_frame_median %.3f ms\n", bench_scroll(&cfg));
    fflush(stdout);
    printf("figure: ui.rss_100_steps %.1f MB\n", bench_rss(&cfg));
    lc_config_free(&cfg);
    lc_diff_global_shutdown();
    return 0;
}
