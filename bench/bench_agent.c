/* The agent's own overhead per step: a scripted model and a scripted
 * executor answer at once, so what is measured is extraction, prompts,
 * observations, events and bookkeeping. Figures:
 *   agent.step_overhead_median         ms, no session log
 *   agent.step_overhead_logged_median  ms, with the session log (fsync per event) in /tmp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
/* The test fakes, compiled in: benchmarks do not link the test support. */
#include "../tests/support/fake_executor.c"
#include "../tests/support/fake_llm.c"

#define RUNS 40
#define STEPS 20

typedef struct timing {
    double *v;
    size_t n, cap;
    double last;
} timing;

static void on_event(void *ctx, const lc_event *ev)
{
    timing *t = ctx;
    if (ev->kind != LC_EV_STEP_BEGIN && ev->kind != LC_EV_DONE)
        return;
    double now = lc_now_s();
    if (t->last > 0) {
        if (t->n == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 256;
            t->v = lc_xrealloc(t->v, t->cap * sizeof *t->v);
        }
        t->v[t->n++] = (now - t->last) * 1000.0;
    }
    t->last = ev->kind == LC_EV_DONE ? 0 : now;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_step_ms(bool with_log)
{
    timing t = {0};
    lc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.agent.max_steps = STEPS;
    lc_strv_push(&cfg.agent.tools, "search_files");
    lc_strv_push(&cfg.agent.tools, "grep_code");
    char path[] = "/tmp/lc_bench_agent_XXXXXX";
    for (int run = 0; run < RUNS; run++) {
        lc_llm *llm = fake_llm_new();
        lc_executor *ex = fake_executor_new();
        fake_executor_add(ex, &(fake_step){.match = "grep_code", .status = LC_STEP_OK,
                                            .output = "src/a.c:10: foo()\nsrc/b.c:22: foo(1)\n",
                                            .value_repr = "['src/a.c:10: foo()', 'src/b.c:22: foo(1)']"});
        fake_llm_reply(llm, "Thought: I will search for the callers of foo and look at each of them in "
                            "turn to see how the argument is used.\n```python\nhits = grep_code(r\"foo\\(\")\n"
                            "for h in hits:\n    print(h)\nlen(hits)\n```\n");
        fake_llm_repeat_last(llm, true);
        lc_log *log = NULL;
        lc_err err = {0};
        if (with_log) {
            strcpy(path, "/tmp/lc_bench_agent_XXXXXX");
            int fd = mkstemp(path);
            close(fd);
            if (lc_log_open(path, &log, &err) != LC_OK) {
                fprintf(stderr, "%s\n", err.msg);
                exit(1);
            }
        }
        lc_observer obs = {&t, on_event, NULL, NULL, NULL};
        lc_agent *a = NULL;
        lc_fanout fan1; /* the log first, then the front end */
        lc_observer fo1 = lc_fanout_init(&fan1, log, &obs);
        if (lc_agent_new(&cfg, llm, ex, &fo1, NULL, log, &a, &err) != LC_OK) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        lc_agent_outcome out;
        char *answer = NULL;
        if (lc_agent_run(a, "Find every caller of foo and say how its argument is used.", &out, &answer,
                         &err) != LC_OK) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        free(answer);
        lc_agent_free(a);
        lc_llm_destroy(llm);
        lc_executor_destroy(ex);
        if (log) {
            lc_log_close(log);
            unlink(path);
        }
    }
    lc_strv_free(&cfg.agent.tools);
    qsort(t.v, t.n, sizeof *t.v, cmp);
    double m = t.n ? t.v[t.n / 2] : 0;
    free(t.v);
    return m;
}

int main(void)
{
    printf("figure: agent.step_overhead_median %.4f ms\n", median_step_ms(false));
    printf("figure: agent.step_overhead_logged_median %.4f ms\n", median_step_ms(true));
    return 0;
}
