/* End-to-end test support: see e2e.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "e2e.h"

void add_response(lc_buf *script, const char *text)
{
    cJSON *delta = cJSON_CreateObject();
    cJSON_AddStringToObject(delta, "content", text);
    char *d = lc_json_print(delta);
    cJSON_Delete(delta);
    lc_buf_puts(script, "@response 200\n@header Content-Type: text/event-stream\n@body\n");
    lc_buf_printf(script, "data: {\"id\":\"e2e\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":null}]}\n\n", d);
    lc_buf_puts(script, "data: {\"id\":\"e2e\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    lc_buf_puts(script, "data: [DONE]\n\n");
    free(d);
}

bool engine_ok(void)
{
    lc_config cfg;
    lc_config_defaults(&cfg);
    lc_engine *e = lc_test_engine_open(&cfg.container);
    lc_engine_free(e);
    lc_config_free(&cfg);
    if (!e && lc_test_engine_required())
        fail_msg("a container engine is required");
    return e != NULL;
}

void home_open(home *h, const char *tag)
{
    h->dir = lc_test_tmpdir(tag);
    h->project = lc_path_join(h->dir, "project");
    h->state = lc_path_join(h->dir, "state");
    char *config = lc_path_join(h->dir, "config");
    h->cfgdir = lc_path_join(config, "litecode");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(h->state, 0700, &err), LC_OK);
    setenv("XDG_STATE_HOME", h->state, 1);
    setenv("XDG_CONFIG_HOME", config, 1);
    free(config);
}

void home_close(home *h)
{
    lc_err err = {0};
    lc_rm_rf(h->dir, &err);
    free(h->dir);
    free(h->project);
    free(h->state);
    free(h->cfgdir);
    memset(h, 0, sizeof *h);
}

void run_argv(const char *const *argv, lc_proc_result *res)
{
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 300000, 4 << 20, res, &err), LC_OK);
    fprintf(stderr, "--- exit %d signal %d\n--- stdout\n%s--- stderr\n%s---\n", res->exit_code, res->signal,
            lc_buf_cstr(&res->out), lc_buf_cstr(&res->err));
}

char *log_of(const char *err_text)
{
    const char *at = strstr(err_text, "(log: ");
    assert_non_null(at);
    at += strlen("(log: ");
    return lc_xstrndup(at, strcspn(at, ")"));
}
