/* The approval policy (DESIGN: agent/ owns it): which steps run without
 * asking, and why. Mode all is the front end's answer (it can turn it off).
 * With mode reads, or rules (approval.rules, parsed by config/rules.c) or
 * grants, every step first goes through the kernel's static check (op
 * "analyze", nothing runs): a deny rule declines it in any mode and says why
 * to the user and the model; an ask rule asks; an allow rule or a grant runs
 * it when it covers every reason the step may write; under reads a step the
 * check finds read-only runs at once. Trust but verify: after such a step the
 * shadow's change summary is compared, and a step that changed it anyway, or
 * any step that defeated the check (exec, getattr, patching a module), turns
 * reads, allow rules and grants off for the rest of the session. The
 * kernel's answer is untrusted input: only a well-formed, explicit verdict
 * lets a step through. */
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

/* A rule in force: from approval.rules, a grant given from the question, or
 * a grant saved to the user's config. Never freed before the policy, so a
 * name handed out (lc_action.ask_rule) stays valid. */
typedef struct prule {
    lc_approval_rule r;
    char *text;   /* as written */
    char *origin; /* "FILE:LINE", "granted this session at step N", "saved to FILE:LINE at step N" */
    bool grant;   /* given from the question (saved or not) */
    bool off;     /* revoked, or disabled for the rest of the session (under mu) */
} prule;

struct agent_policy {
    lc_approve_mode mode;  /* as configured */
    bool reads_off;        /* trust is gone: reads and allow rules fell back to ask */
    /* The rules: the agent thread adds (under mu) and reads them; any thread
     * may turn one off (lc_agent_rule_revoke) or copy them (lc_agent_rules). */
    pthread_mutex_t mu;
    prule *rules;
    size_t nrules;
    lc_strv revoked;       /* names turned off since the agent last said so (under mu) */
    int grants_made;
    bool announced;
    const char *user_file; /* where a saved grant goes (the config's user layer) */
    const char *asks;      /* the ask rule that matched the step being decided */
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

/* ---- rules: facts and patterns ------------------------------------------------ */

/* "call os.remove" -> kind "call", value "os.remove". */
static bool split_fact(const char *f, char *kind, size_t kn, const char **value)
{
    size_t n = strcspn(f, " ");
    if (!f[n] || n + 1 > kn)
        return false;
    memcpy(kind, f, n);
    kind[n] = 0;
    const char *v = f + n;
    while (*v == ' ')
        v++;
    *value = v;
    return true;
}

/* A tool fact or pattern "NAME [KEY=VALUE]": the name, and the argument (or NULL). */
static void split_tool(const char *v, char *name, size_t nn, const char **arg)
{
    size_t n = strcspn(v, " ");
    snprintf(name, nn, "%.*s", (int)n, v);
    const char *a = v + n;
    while (*a == ' ')
        a++;
    *arg = *a ? a : NULL;
}

static bool pattern_matches(const char *pat, const char *fact)
{
    char pk[16], fk[16];
    const char *pv, *fv;
    if (!split_fact(pat, pk, sizeof pk, &pv) || !split_fact(fact, fk, sizeof fk, &fv) || strcmp(pk, fk) != 0)
        return false;
    if (strcmp(pk, "tool") != 0)
        return fnmatch(pv, fv, 0) == 0;
    char pn[128], fn[128];
    const char *pa, *fa;
    split_tool(pv, pn, sizeof pn, &pa);
    split_tool(fv, fn, sizeof fn, &fa);
    if (fnmatch(pn, fn, 0) != 0)
        return false;
    if (!pa)
        return true;
    if (!fa)
        return false;
    size_t pkl = strcspn(pa, "="), fkl = strcspn(fa, "=");
    return pkl == fkl && strncmp(pa, fa, pkl) == 0 && fa[fkl] && fnmatch(pa + pkl + 1, fa + fkl + 1, 0) == 0;
}

static bool rule_matches(const lc_approval_rule *r, const lc_strv *facts, const char **which)
{
    for (size_t i = 0; i < r->pats.n; i++)
        for (size_t j = 0; j < facts->n; j++)
            if (pattern_matches(r->pats.v[i], facts->v[j])) {
                if (which)
                    *which = facts->v[j];
                return true;
            }
    return false;
}

static const char *action_name(lc_rule_action a)
{
    return a == LC_RULE_DENY ? "deny" : a == LC_RULE_ASK ? "ask" : "allow";
}

/* Where a rule of approval.rules was written: its own line when the loader
 * kept it, else the key's origin. */
static char *config_origin(const lc_config *cfg, size_t i)
{
    if (cfg->approval.origins.n == cfg->approval.rules.n && i < cfg->approval.origins.n)
        return lc_xstrdup(cfg->approval.origins.v[i]);
    char origin[600];
    lc_config_origin_describe(cfg, LC_CFG_APPROVAL_RULES, origin, sizeof origin);
    return lc_xstrdup(origin);
}

/* A rule's examples, checked before anything runs: a rule that does not do
 * what its author showed is an error, with where it was set. */
static int check_examples(const prule *pr, lc_err *err)
{
    const lc_approval_rule *r = &pr->r;
    for (int want = 1; want >= 0; want--) {
        const lc_strv *ex = want ? &r->must : &r->must_not;
        for (size_t j = 0; j < ex->n; j++) {
            lc_strv facts = LC_STRV_INIT;
            lc_approval_items(ex->v[j], &facts);
            const char *hit = NULL;
            bool m = rule_matches(r, &facts, &hit);
            char matched[256];
            snprintf(matched, sizeof matched, "%s", hit ? hit : "");
            lc_strv_free(&facts);
            if (m != (bool)want)
                return lc_err_set(err, LC_EINVAL,
                                  "%s: approval.rules: rule %s (%s) %s its %s example '%s'%s%s; fix its patterns "
                                  "or the example",
                                  pr->origin, r->name, action_name(r->action), want ? "does not match" : "matches",
                                  want ? "must" : "must-not", ex->v[j], *matched ? ": it matches " : "", matched);
        }
    }
    return LC_OK;
}

static prule *find_rule(struct agent_policy *p, const char *name)
{
    for (size_t i = 0; i < p->nrules; i++)
        if (strcmp(p->rules[i].r.name, name) == 0)
            return &p->rules[i];
    return NULL;
}

/* Adds a parsed rule (taken) with its text and origin (taken); under mu. */
static prule *add_rule(struct agent_policy *p, lc_approval_rule *r, const char *text, char *origin, bool grant)
{
    pthread_mutex_lock(&p->mu);
    p->rules = lc_xrealloc(p->rules, (p->nrules + 1) * sizeof *p->rules);
    prule *pr = &p->rules[p->nrules++];
    *pr = (prule){.r = *r, .text = lc_xstrdup(text), .origin = origin, .grant = grant};
    pthread_mutex_unlock(&p->mu);
    return pr;
}

int agent_policy_new(const lc_config *cfg, const lc_toolset *tools, struct agent_policy **out, lc_err *err)
{
    struct agent_policy *p = lc_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    *out = p;
    p->mode = cfg ? lc_config_approve_mode(cfg) : LC_APPROVE_ASK;
    p->user_file = cfg ? cfg->user_file : NULL;
    for (size_t i = 0; cfg && i < cfg->approval.rules.n; i++) {
        char *origin = config_origin(cfg, i);
        lc_approval_rule r;
        if (lc_approval_rule_parse(cfg->approval.rules.v[i], &r, err) != LC_OK) {
            lc_err_prefix(err, "%s: approval.rules entry %zu", origin, i + 1);
            free(origin);
            return LC_EINVAL;
        }
        const prule *same = find_rule(p, r.name);
        if (same) {
            int rc = lc_err_set(err, LC_EINVAL,
                                "%s: approval.rules: a second rule named %s (the first is at %s); rule names must "
                                "be unique, rename one",
                                origin, r.name, same->origin);
            lc_approval_rule_free(&r);
            free(origin);
            return rc;
        }
        const prule *pr = add_rule(p, &r, cfg->approval.rules.v[i], origin, false);
        int rc = check_examples(pr, err);
        if (rc != LC_OK)
            return rc;
    }
    for (size_t i = 0; i < sizeof readonly_tools / sizeof readonly_tools[0]; i++) {
        const lc_tool_def *t = lc_tool_find(readonly_tools[i]);
        if (tools && lc_toolset_has(tools, readonly_tools[i]) && t && t->where == LC_TOOL_CONTAINER)
            lc_strv_push(&p->vouched, readonly_tools[i]);
    }
    return LC_OK;
}

int lc_agent_check_rules(const lc_config *cfg, lc_err *err)
{
    struct agent_policy *p = NULL;
    int rc = agent_policy_new(cfg, NULL, &p, err);
    agent_policy_free(p);
    return rc;
}

void agent_policy_free(struct agent_policy *p)
{
    if (!p)
        return;
    lc_strv_free(&p->vouched);
    lc_strv_free(&p->dirty);
    lc_strv_free(&p->revoked);
    for (size_t i = 0; i < p->nrules; i++) {
        lc_approval_rule_free(&p->rules[i].r);
        free(p->rules[i].text);
        free(p->rules[i].origin);
    }
    free(p->rules);
    cJSON_Delete(p->last);
    pthread_mutex_destroy(&p->mu);
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

/* Whether steps are checked at all: for mode reads, or for rules. */
static bool checking(const struct agent_policy *p)
{
    return p && (reads_active(p) || p->nrules);
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
    if (p->reads_off || (!reads_active(p) && !p->nrules))
        return;
    p->reads_off = true;
    char *msg = lc_xasprintf("APPROVAL: mode reads and allow rules are off for the rest of this session, every "
                             "step asks again (deny rules still hold): %s",
                             why);
    lc_event ev = {.kind = LC_EV_ERROR, .step = a->step, .max_steps = a->step_limit, .text = msg,
                   .len = strlen(msg), .detail = "approval:ask", .code = LC_ESECURITY};
    agent_emit(a, &ev);
    a->approval = 0;
    ev = (lc_event){.kind = LC_EV_APPROVAL, .step = a->step, .max_steps = a->step_limit, .detail = "ask",
                    .changed = true, .text = why, .len = strlen(why)};
    agent_emit(a, &ev);
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

/* The check's facts as rules name them: "call X", "import X", "write X",
 * "tool NAME" and "tool NAME KEY=VALUE" per literal argument. */
static void facts_of(const cJSON *check, lc_strv *out)
{
    static const char *const lists[][2] = {{"calls", "call"}, {"imports", "import"}, {"writes", "write"}};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(check, lists[i][0]))
        {
            if (cJSON_IsString(it) && strlen(it->valuestring) < 1000)
                lc_strv_pushf(out, "%s %s", lists[i][1], it->valuestring);
        }
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(check, "tools"))
    {
        const char *name = lc_json_str(t, "name");
        if (!name || strlen(name) > 100 || strchr(name, ' '))
            continue;
        lc_strv_pushf(out, "tool %s", name);
        const cJSON *arg;
        cJSON_ArrayForEach(arg, cJSON_GetObjectItemCaseSensitive(t, "args"))
        {
            if (!arg->string || strlen(arg->string) > 100)
                continue;
            if (cJSON_IsString(arg) && strlen(arg->valuestring) < 2000)
                lc_strv_pushf(out, "tool %s %s=%s", name, arg->string, arg->valuestring);
            else if (cJSON_IsNumber(arg))
                lc_strv_pushf(out, "tool %s %s=%g", name, arg->string, arg->valuedouble);
        }
    }
}

/* An allow rule covers a step when every reason it may write names a fact an
 * allow rule in force matches; *names gets the rules used, *by_rule whether
 * one of them is the user's own (not a grant). Under mu. */
static bool allowed(const struct agent_policy *p, const cJSON *check, lc_strv *names, bool *by_rule)
{
    if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(check, "opaque")))
        return false;
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(check, "reasons");
    if (!cJSON_IsArray(rs) || cJSON_GetArraySize(rs) == 0)
        return false;
    const cJSON *r;
    cJSON_ArrayForEach(r, rs)
    {
        const char *fact = lc_json_str(r, "fact");
        if (!fact)
            return false;
        lc_strv one = LC_STRV_INIT;
        lc_strv_push(&one, fact);
        bool ok = false;
        for (size_t i = 0; i < p->nrules && !ok; i++) {
            const prule *pr = &p->rules[i];
            if (pr->off || pr->r.action != LC_RULE_ALLOW || !rule_matches(&pr->r, &one, NULL))
                continue;
            ok = true;
            *by_rule = *by_rule || !pr->grant;
            if (!strv_has(names, pr->r.name))
                lc_strv_push(names, pr->r.name);
        }
        lc_strv_free(&one);
        if (!ok)
            return false;
    }
    return true;
}

/* ---- turning rules off, from any thread -------------------------------------- */

void lc_agent_revoke_grants(lc_agent *a)
{
    if (!a || !a->policy)
        return;
    struct agent_policy *p = a->policy;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nrules; i++)
        if (p->rules[i].grant && !p->rules[i].off) {
            p->rules[i].off = true;
            lc_strv_push(&p->revoked, p->rules[i].r.name);
        }
    pthread_mutex_unlock(&p->mu);
}

int lc_agent_rule_revoke(lc_agent *a, const char *name, lc_err *err)
{
    if (!a || !a->policy || !name)
        return lc_err_set(err, LC_EINVAL, "no session to revoke a rule in");
    struct agent_policy *p = a->policy;
    pthread_mutex_lock(&p->mu);
    prule *pr = find_rule(p, name);
    int rc = LC_OK;
    if (!pr)
        rc = lc_err_set(err, LC_ENOTFOUND, "there is no rule or grant named %.100s", name);
    else if (pr->off)
        rc = lc_err_set(err, LC_EINVAL, "%.100s is already off for this session", name);
    else {
        pr->off = true;
        lc_strv_push(&p->revoked, name);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

size_t lc_agent_rules(lc_agent *a, lc_agent_rule_info **out)
{
    *out = NULL;
    if (!a || !a->policy)
        return 0;
    struct agent_policy *p = a->policy;
    pthread_mutex_lock(&p->mu);
    size_t n = p->nrules;
    lc_agent_rule_info *v = n ? lc_xcalloc(n, sizeof *v) : NULL;
    for (size_t i = 0; i < n; i++) {
        const prule *pr = &p->rules[i];
        v[i] = (lc_agent_rule_info){.name = lc_xstrdup(pr->r.name), .text = lc_xstrdup(pr->text),
                                    .origin = lc_xstrdup(pr->origin), .action = pr->r.action,
                                    .grant = pr->grant, .off = pr->off};
    }
    pthread_mutex_unlock(&p->mu);
    *out = v;
    return n;
}

size_t lc_agent_rules_on(lc_agent *a)
{
    if (!a || !a->policy)
        return 0;
    struct agent_policy *p = a->policy;
    size_t n = 0;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nrules; i++)
        n += !p->rules[i].off;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void lc_agent_rules_free(lc_agent_rule_info *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].name);
        free(v[i].text);
        free(v[i].origin);
    }
    free(v);
}

/* The agent thread records what was turned off since it last looked: the
 * front end said so at once; the log gets it here, before the next decision. */
void agent_policy_flush(lc_agent *a)
{
    struct agent_policy *p = a->policy;
    pthread_mutex_lock(&p->mu);
    char *names = p->revoked.n ? lc_strv_join(&p->revoked, ", ") : NULL;
    lc_strv_free(&p->revoked);
    p->revoked = (lc_strv)LC_STRV_INIT;
    pthread_mutex_unlock(&p->mu);
    if (!names)
        return;
    char *msg = lc_xasprintf("revoked for the rest of this session: %s (steps they allowed ask again)", names);
    agent_emit_text(a, LC_EV_INFO, msg);
    agent_emit_text(a, LC_EV_GRANT_REVOKED, names);
    free(msg);
    free(names);
}

/* A fact as a pattern that matches only itself (fnmatch's * ? [ \ escaped). */
static void escape_glob(const char *f, lc_buf *out)
{
    for (; *f; f++) {
        if (*f == '*' || *f == '?' || *f == '[')
            lc_buf_printf(out, "[%c]", *f);
        else if (*f == '\\')
            lc_buf_puts(out, "\\\\");
        else
            lc_buf_putc(out, *f);
    }
}

/* A name no rule in force has, nor any rule in the user's file now. */
static char *fresh_name(struct agent_policy *p, const char *prefix, int *counter, const lc_strv *taken)
{
    for (;;) {
        char *name = lc_xasprintf("%s-%d", prefix, ++*counter);
        bool used = find_rule(p, name) != NULL;
        for (size_t i = 0; taken && !used && i < taken->n; i++)
            used = strcmp(taken->v[i], name) == 0;
        if (!used)
            return name;
        free(name);
    }
}

void agent_policy_grant(lc_agent *a, const char *ran, bool edited, bool save)
{
    struct agent_policy *p = a->policy;
    cJSON *check = p->last && !edited ? cJSON_Duplicate(p->last, true) : analyze(a, ran);
    const char *no = NULL;
    if (check_read_only(check))
        no = "it only reads (mode reads runs such steps without a grant)";
    else if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(check, "opaque")))
        no = "it does something no static check can follow";
    lc_strv facts = LC_STRV_INIT;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(check, "reasons"))
    {
        const char *fact = lc_json_str(r, "fact");
        if (!fact && !no)
            no = "the check cannot name everything it does (a computed mode, a value it cannot follow)";
        /* A rule's text splits on ';' and " | " and cannot escape them: a fact
         * holding one (a path the model chose, "a; call *") would become a
         * wider rule than the step. Such a step gets no grant. */
        bool plain = true;
        for (const unsigned char *c = (const unsigned char *)(fact ? fact : ""); *c; c++)
            plain = plain && *c >= 0x20 && *c != 0x7f && *c != ';' && *c != '|';
        if (!plain && !no)
            no = "what it does names a path or value with ';', '|' or a control character, which a rule cannot "
                 "say exactly";
        bool dup = false;
        for (size_t i = 0; fact && i < facts.n; i++)
            dup = dup || strcmp(facts.v[i], fact) == 0;
        if (fact && !dup && lc_approval_fact_check(fact, false, &(lc_err){0}) == LC_OK)
            lc_strv_push(&facts, fact);
    }
    cJSON_Delete(check);
    if (!no && facts.n == 0)
        no = "the check found nothing to allow";
    if (no) {
        char *msg = lc_xasprintf("no grant for step %d: %s; it will ask again", a->step, no);
        agent_emit_text(a, LC_EV_INFO, msg);
        free(msg);
        lc_strv_free(&facts);
        return;
    }
    lc_buf pats = LC_BUF_INIT;
    for (size_t i = 0; i < facts.n; i++) {
        if (i)
            lc_buf_puts(&pats, "; ");
        escape_glob(facts.v[i], &pats);
    }
    char *must = lc_strv_join(&facts, "; ");
    lc_strv_free(&facts);
    lc_err err = {0};
    char *text = NULL, *origin = NULL, *saved_at = NULL;
    int rc = LC_OK;
    if (save) {
        /* Saved: a name no rule of the file has either, and the file's own line. */
        lc_strv taken = LC_STRV_INIT;
        if (p->user_file)
            lc_approval_rules_names(p->user_file, &taken);
        int n = 0;
        char *name = fresh_name(p, "saved", &n, &taken);
        lc_strv_free(&taken);
        text = lc_xasprintf("allow %s: %s | must: %s | why: allowed from the question at step %d", name,
                            lc_buf_cstr(&pats), must, a->step);
        free(name);
        int line = 0;
        rc = p->user_file ? lc_approval_rule_append(p->user_file, text, &line, &err)
                          : lc_err_set(&err, LC_ENOTFOUND, "no user config file is known");
        if (rc == LC_OK) {
            origin = lc_xasprintf("saved to %s:%d at step %d", p->user_file, line, a->step);
            saved_at = lc_xasprintf("and saved to %s:%d", p->user_file, line);
        }
    }
    if (!save || rc != LC_OK) {
        if (save) {
            char *msg = lc_xasprintf("the grant was not saved: %s; it holds for this session only", err.msg);
            agent_emit_text(a, LC_EV_ERROR, msg);
            free(msg);
        }
        free(text);
        char *name = fresh_name(p, "grant", &p->grants_made, NULL);
        text = lc_xasprintf("allow %s: %s | must: %s", name, lc_buf_cstr(&pats), must);
        free(name);
        origin = lc_xasprintf("granted this session at step %d", a->step);
    }
    free(must);
    lc_buf_free(&pats);
    lc_approval_rule rule;
    if (lc_approval_rule_parse(text, &rule, &err) == LC_OK) {
        const prule *pr = add_rule(p, &rule, text, origin, true);
        origin = NULL;
        char *msg = lc_xasprintf("%s added %s (W lists the grants; each can be revoked there): %s", pr->r.name,
                                 saved_at ? saved_at : "for this session", text);
        agent_emit_text(a, LC_EV_INFO, msg);
        agent_emit_text(a, LC_EV_GRANT, text);
        free(msg);
    } else {
        char *msg = lc_xasprintf("no grant for step %d: %s", a->step, err.msg);
        agent_emit_text(a, LC_EV_INFO, msg);
        free(msg);
    }
    free(origin);
    free(saved_at);
    free(text);
}

/* Once per session: the mode and the rules in force, so the user sees what
 * can decide without asking them. */
static void announce(lc_agent *a)
{
    struct agent_policy *p = a->policy;
    if (p->announced || (p->mode == LC_APPROVE_ASK && !p->nrules))
        return;
    p->announced = true;
    lc_buf b = LC_BUF_INIT;
    lc_buf_printf(&b, "approval: mode %s", lc_approve_mode_name(p->mode));
    for (size_t i = 0; i < p->nrules; i++)
        lc_buf_printf(&b, "%s%s %s", i ? ", " : "; rules: ", action_name(p->rules[i].r.action),
                      p->rules[i].r.name);
    agent_emit_text(a, LC_EV_INFO, lc_buf_cstr(&b));
    lc_buf_free(&b);
}

/* The first rule in force with this action that matches; *hit the fact. Under mu. */
static const prule *first_match(const struct agent_policy *p, lc_rule_action action, const lc_strv *facts,
                                const char **hit)
{
    for (size_t i = 0; i < p->nrules; i++)
        if (!p->rules[i].off && p->rules[i].r.action == action && rule_matches(&p->rules[i].r, facts, hit))
            return &p->rules[i];
    return NULL;
}

/* Deny wins, whatever the mode; then an ask rule asks in every mode, --yes
 * included (the user wrote it on purpose). 1: denied (d filled); 2: a rule
 * asks (said); 0: no deny or ask rule matches. */
static int deny_or_ask(lc_agent *a, const lc_action *act, const lc_strv *facts, lc_decision *d)
{
    struct agent_policy *p = a->policy;
    const char *hit = NULL;
    pthread_mutex_lock(&p->mu);
    const prule *deny = first_match(p, LC_RULE_DENY, facts, &hit);
    if (deny) {
        const lc_approval_rule *r = &deny->r;
        *d = (lc_decision){.kind = LC_DECIDE_DECLINE, .automatic = true, .by = "rule"};
        d->text = lc_xasprintf("rule %s: %s (the step does %s)", r->name, r->why ? r->why : "no reason given", hit);
        snprintf(d->why, sizeof d->why, "rule %s denies step %d: %s (the step does %s)", r->name, act->step,
                 r->why ? r->why : "no reason given", hit);
        pthread_mutex_unlock(&p->mu);
        return 1;
    }
    const prule *ask = first_match(p, LC_RULE_ASK, facts, &hit);
    if (!ask) {
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    p->asks = ask->r.name;
    char *msg = lc_xasprintf("rule %s asks about step %d: it does %s%s%s%s", ask->r.name, act->step, hit,
                             ask->r.why ? " (" : "", ask->r.why ? ask->r.why : "", ask->r.why ? ")" : "");
    pthread_mutex_unlock(&p->mu);
    agent_emit_text(a, LC_EV_INFO, msg);
    free(msg);
    return 2;
}

/* An MCP call made part-way through a step: it runs on the user's machine,
 * so no mode lets it through, but the rules do, as "tool NAME" facts (its
 * sandbox function's name, and one "tool NAME KEY=VALUE" per string or
 * number argument, as the static check reports a step's tool calls). */
static bool decide_host_call(lc_agent *a, const lc_action *act, lc_decision *d)
{
    struct agent_policy *p = a->policy;
    const char *name = act->mcp_function ? act->mcp_function : "";
    cJSON *check = cJSON_CreateObject();
    cJSON *tools = cJSON_AddArrayToObject(check, "tools");
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "name", name);
    cJSON *args = act->tool_args ? lc_json_parse(act->tool_args, strlen(act->tool_args)) : NULL;
    if (cJSON_IsObject(args))
        cJSON_AddItemToObject(t, "args", args);
    else
        cJSON_Delete(args);
    cJSON_AddItemToArray(tools, t);
    lc_strv facts = LC_STRV_INIT;
    facts_of(check, &facts);
    cJSON_Delete(check);
    int v = facts.n ? deny_or_ask(a, act, &facts, d) : 0;
    bool decided = v == 1;
    if (v == 0 && facts.n) {
        const char *hit = NULL;
        pthread_mutex_lock(&p->mu);
        const prule *allow = p->reads_off ? NULL : first_match(p, LC_RULE_ALLOW, &facts, &hit);
        if (allow) {
            *d = (lc_decision){.kind = LC_DECIDE_RUN, .automatic = true, .by = allow->grant ? "grant" : "rule"};
            snprintf(d->why, sizeof d->why, "%s %s allows the host call of step %d (%s)",
                     allow->grant ? "grant" : "rule", allow->r.name, act->step, hit);
            decided = true;
        }
        pthread_mutex_unlock(&p->mu);
    }
    lc_strv_free(&facts);
    return decided;
}

bool agent_policy_decide(lc_agent *a, const lc_action *act, lc_decision *d, cJSON **check)
{
    struct agent_policy *p = a->policy;
    *check = NULL;
    p->asks = NULL;
    announce(a);
    agent_policy_flush(a);
    cJSON_Delete(p->last);
    p->last = NULL;
    if (!checking(p))
        return false;
    if (!act->code)
        return act->mcp_server && decide_host_call(a, act, d);
    p->last = analyze(a, act->code);
    *check = cJSON_Duplicate(p->last, true);
    lc_strv facts = LC_STRV_INIT;
    facts_of(p->last, &facts);
    int v = deny_or_ask(a, act, &facts, d);
    if (v) {
        lc_strv_free(&facts);
        return v == 1;
    }
    lc_strv_free(&facts);
    lc_strv names = LC_STRV_INIT;
    bool by_rule = false;
    pthread_mutex_lock(&p->mu);
    bool ok = !p->reads_off && allowed(p, p->last, &names, &by_rule);
    pthread_mutex_unlock(&p->mu);
    if (ok) {
        char *list = lc_strv_join(&names, ", ");
        *d = (lc_decision){.kind = LC_DECIDE_RUN, .automatic = true, .by = by_rule ? "rule" : "grant"};
        snprintf(d->why, sizeof d->why, "%s %s allows what step %d does", by_rule ? "rule" : "grant", list,
                 act->step);
        free(list);
        lc_strv_free(&names);
        return true;
    }
    lc_strv_free(&names);
    if (!reads_active(p))
        return false;
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

const char *agent_policy_asks(const lc_agent *a)
{
    return a->policy ? a->policy->asks : NULL;
}

/* The state trust but verify compares: the summary, a separator no summary
 * holds, then the content ids. */
#define STATE_SEP "\n\036ids\n"

static char *shadow_state(lc_agent *a)
{
    char *sum = a->ws.changes_summary(a->ws.ctx);
    char *ids = a->ws.changes_ids ? a->ws.changes_ids(a->ws.ctx) : NULL;
    char *s = lc_xasprintf("%s" STATE_SEP "%s", sum ? sum : "", ids ? ids : "");
    free(sum);
    free(ids);
    return s;
}

char *agent_policy_before(lc_agent *a, const lc_decision *d)
{
    /* Rules and grants allow writing on purpose; only "it only reads" is verified. */
    if (a->policy->reads_off || !d->automatic || !d->by || strcmp(d->by, "check") != 0 || !a->ws.changes_summary)
        return NULL;
    return shadow_state(a);
}

/* The paths whose content id line is in after but not in before. */
static void changed_content(const char *before, const char *after, lc_buf *out)
{
    const char *b = strstr(before, STATE_SEP), *f = strstr(after, STATE_SEP);
    if (!b || !f)
        return;
    b += strlen(STATE_SEP);
    f += strlen(STATE_SEP);
    size_t n = 0;
    while (*f && n < 20) {
        size_t len = strcspn(f, "\n");
        bool found = false;
        for (const char *p = b; *p && !found;) {
            size_t pl = strcspn(p, "\n");
            found = pl == len && memcmp(p, f, len) == 0;
            p += pl + (p[pl] == '\n');
        }
        if (!found && len) {
            size_t path = strcspn(f, "\t");
            lc_buf_printf(out, "%s%.*s", n++ ? ", " : "", (int)(path < len ? path : len), f);
        }
        f += len + (f[len] == '\n');
    }
}

void agent_policy_after(lc_agent *a, const lc_decision *d, const char *ran, const char *before)
{
    struct agent_policy *p = a->policy;
    agent_policy_flush(a); /* turned off while the step was asked about or ran */
    if (!checking(p) || p->reads_off)
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
    if (before && !p->reads_off && a->ws.changes_summary) {
        char *after = shadow_state(a);
        if (strcmp(after, before) != 0) {
            /* The summary alone can hold still (the same files, the same
             * line counts): then the content ids say which files moved. */
            size_t sl = strcspn(after, "\036");
            bool same_counts = strncmp(after, before, sl) == 0 && before[sl] == '\036';
            lc_buf what = LC_BUF_INIT;
            if (same_counts) {
                lc_buf_puts(&what, "the same files and line counts as before, but new content in: ");
                changed_content(before, after, &what);
            }
            char *why = lc_xasprintf("step %d ran without asking because the static check found it read-only, "
                                     "but it CHANGED THE SHADOW COPY anyway. Review the change in the Diff "
                                     "pane before applying anything. %s%sChanges now:\n%.*s",
                                     a->step, lc_buf_cstr(&what), what.len ? ". " : "", sl > 1 ? (int)sl - 1 : 6,
                                     sl > 1 ? after : "(none)");
            fall_back(a, why);
            free(why);
            lc_buf_free(&what);
        }
        free(after);
    }
}
