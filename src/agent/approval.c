/* The approval policy: which steps run without asking and why. Mode all is
 * the front end's answer (it can turn it off); mode reads asks the kernel's
 * static check (op "analyze", nothing runs) and lets a step it finds
 * read-only run at once. Trust but verify: after such a step the shadow's
 * change summary is compared, and a step that changed it anyway, or any step
 * that defeated the check (exec, getattr, patching a module), turns reads off
 * for the rest of the session. The kernel's answer is untrusted input: only a
 * well-formed, explicit read_only: true lets a step through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

struct agent_policy {
    lc_approve_mode mode;  /* as configured */
    bool reads_off;        /* reads fell back to ask */
    lc_strv vouched;       /* names the check may trust: read-only helpers, names of read-only steps */
    lc_strv dirty;         /* names bound by steps that may write */
    cJSON *last;           /* the check of the step being decided */
};

/* Container helpers that only read /workspace (tools.c). Host tools (ask_user,
 * llm_query, preview_changes) and the rest ask. */
static const char *const readonly_tools[] = {"search_files", "grep_code", "analyze_file", "find_pattern"};

static bool strv_has(const lc_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], s) == 0)
            return true;
    return false;
}

static void strv_del(lc_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], s) == 0) {
            free(v->v[i]);
            v->v[i] = v->v[--v->n];
            v->v[v->n] = NULL;
            return;
        }
}

struct agent_policy *agent_policy_new(const lc_config *cfg, const lc_toolset *tools)
{
    struct agent_policy *p = lc_xcalloc(1, sizeof *p);
    p->mode = cfg ? lc_config_approve_mode(cfg) : LC_APPROVE_ASK;
    for (size_t i = 0; i < sizeof readonly_tools / sizeof readonly_tools[0]; i++) {
        const lc_tool_def *t = lc_tool_find(readonly_tools[i]);
        if (tools && lc_toolset_has(tools, readonly_tools[i]) && t && t->where == LC_TOOL_CONTAINER)
            lc_strv_push(&p->vouched, readonly_tools[i]);
    }
    return p;
}

void agent_policy_free(struct agent_policy *p)
{
    if (!p)
        return;
    lc_strv_free(&p->vouched);
    lc_strv_free(&p->dirty);
    cJSON_Delete(p->last);
    free(p);
}

const char *agent_policy_mode(const lc_agent *a)
{
    const struct agent_policy *p = a->policy;
    if (!p)
        return "ask";
    if (p->mode == LC_APPROVE_READS && p->reads_off)
        return "ask";
    return lc_approve_mode_name(p->mode);
}

static bool reads_active(const struct agent_policy *p)
{
    return p && p->mode == LC_APPROVE_READS && !p->reads_off;
}

/* The check's reasons as one line: "line 3: calls os.remove; line 5: ...". */
static void reasons_text(const cJSON *check, lc_buf *b, size_t max)
{
    size_t len0 = b->len;
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(check, "reasons");
    const cJSON *r;
    size_t n = 0;
    cJSON_ArrayForEach(r, rs)
    {
        const char *what = lc_json_str(r, "what");
        if (!what)
            continue;
        if (n++ >= max) {
            lc_buf_puts(b, "; ...");
            break;
        }
        const cJSON *line = cJSON_GetObjectItemCaseSensitive(r, "line");
        if (n > 1)
            lc_buf_puts(b, "; ");
        if (cJSON_IsNumber(line) && line->valuedouble >= 1 && line->valuedouble < 1e7)
            lc_buf_printf(b, "line %d: ", (int)line->valuedouble);
        lc_buf_printf(b, "%.200s", what);
    }
    if (b->len == len0)
        lc_buf_puts(b, "the check gave no clear verdict");
}

/* Only an explicit true counts; anything malformed may write. */
static bool check_read_only(const cJSON *check)
{
    const cJSON *ro = cJSON_GetObjectItemCaseSensitive(check, "read_only");
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(check, "reasons");
    return cJSON_IsTrue(ro) && cJSON_IsArray(rs) && cJSON_GetArraySize(rs) == 0;
}

static void fall_back(lc_agent *a, const char *why)
{
    struct agent_policy *p = a->policy;
    if (!reads_active(p))
        return;
    p->reads_off = true;
    char *msg = lc_xasprintf("APPROVAL: mode reads is off for the rest of this session, every step asks "
                             "again: %s",
                             why);
    lc_event ev = {.kind = LC_EV_ERROR, .step = a->step, .max_steps = a->step_limit, .text = msg,
                   .len = strlen(msg), .detail = "approval:ask", .code = LC_ESECURITY};
    agent_emit(a, &ev);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "mode", "ask");
    cJSON_AddBoolToObject(f, "changed", true);
    cJSON_AddStringToObject(f, "why", why);
    a->approval = 0;
    agent_log(a, "approval", f);
    free(msg);
}

static cJSON *analyze(lc_agent *a, const char *code)
{
    struct agent_policy *p = a->policy;
    cJSON *check = NULL;
    lc_err err = {0};
    if (lc_executor_analyze(a->ex, code, &p->vouched, &p->dirty, &check, &err) != LC_OK) {
        check = cJSON_CreateObject();
        cJSON_AddBoolToObject(check, "read_only", false);
        cJSON *rs = cJSON_AddArrayToObject(check, "reasons");
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "line", 0);
        char *what = lc_xasprintf("the static check did not answer: %s", err.msg);
        cJSON_AddStringToObject(r, "what", what);
        free(what);
        cJSON_AddItemToArray(rs, r);
    }
    return check;
}

bool agent_policy_decide(lc_agent *a, const lc_action *act, lc_decision *d, cJSON **check)
{
    struct agent_policy *p = a->policy;
    *check = NULL;
    if (!reads_active(p) || !act->code)
        return false;
    cJSON_Delete(p->last);
    p->last = analyze(a, act->code);
    *check = cJSON_Duplicate(p->last, true);
    if (check_read_only(p->last)) {
        *d = (lc_decision){.kind = LC_DECIDE_RUN, .automatic = true, .by = "check"};
        snprintf(d->why, sizeof d->why, "mode reads: the static check found that step %d only reads", act->step);
        return true;
    }
    lc_buf b = LC_BUF_INIT;
    lc_buf_printf(&b, "the static check says step %d may write, so it asks: ", act->step);
    reasons_text(p->last, &b, 4);
    agent_emit_text(a, LC_EV_INFO, b.data);
    lc_buf_free(&b);
    return false;
}

bool agent_policy_verifies(const lc_agent *a, const lc_decision *d)
{
    return reads_active(a->policy) && d->by && strcmp(d->by, "check") == 0;
}

void agent_policy_after(lc_agent *a, const lc_decision *d, const char *ran, const char *before)
{
    struct agent_policy *p = a->policy;
    if (!reads_active(p))
        return;
    cJSON *check = NULL;
    if (d->kind == LC_DECIDE_RUN && p->last) {
        check = p->last;
        p->last = NULL;
    } else {
        check = analyze(a, ran); /* the user's edit is what ran */
    }
    bool ro = check_read_only(check);
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(check, "bound");
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        if (!cJSON_IsString(n) || strlen(n->valuestring) > 200)
            continue;
        strv_del(ro ? &p->dirty : &p->vouched, n->valuestring);
        if (!strv_has(ro ? &p->vouched : &p->dirty, n->valuestring))
            lc_strv_push(ro ? &p->vouched : &p->dirty, n->valuestring);
    }
    if (!ro && !cJSON_IsArray(names)) {
        /* What it defined is unknown: nothing an earlier step defined can be trusted now. */
        lc_strv_free(&p->vouched);
        p->vouched = (lc_strv){0};
    }
    if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(check, "opaque"))) {
        lc_buf b = LC_BUF_INIT;
        lc_buf_printf(&b, "step %d ran code that no static check can follow (", a->step);
        reasons_text(check, &b, 3);
        lc_buf_puts(&b, "), so later checks could be fooled by what it changed in the sandbox");
        fall_back(a, b.data);
        lc_buf_free(&b);
    }
    cJSON_Delete(check);
    if (before && reads_active(p) && a->ws.changes_summary) {
        char *after = a->ws.changes_summary(a->ws.ctx);
        if (strcmp(after ? after : "", before) != 0) {
            char *why = lc_xasprintf("step %d ran without asking because the static check found it read-only, "
                                     "but it CHANGED THE SHADOW COPY anyway. Review the change in the Diff "
                                     "pane before applying anything. Changes now:\n%s",
                                     a->step, after ? after : "(none)");
            fall_back(a, why);
            free(why);
        }
        free(after);
    }
}
